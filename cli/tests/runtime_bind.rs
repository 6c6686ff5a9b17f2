//! `claw run` listens on loopback unless told otherwise.

#[path = "common/ops.rs"]
mod ops;

use ops::*;

/// A non-loopback IPv4 address of this machine, if it has one (no packet is sent: a UDP
/// connect only picks the route).
fn outward_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn binds_loopback_by_default() {
    let help = cli(&["run", "--help"]);
    assert!(
        help.stdout.contains("[default: 127.0.0.1:8080]"),
        "{}",
        help.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "desk.claw", &format!("{DESK}{SLO_TAIL}"));
    let db = sqlite(dir.path());
    let outward = outward_address();
    // Whether something else already answers on the outward address (then that check says
    // nothing about us and is skipped).
    let outward_taken = outward.is_some_and(|ip| {
        std::net::TcpStream::connect_timeout(&(ip, 8080).into(), Duration::from_secs(1)).is_ok()
    });
    let stderr = dir.path().join("default.stderr");
    let mut child = claw()
        .args(["run", file.to_str().unwrap(), "--db", &db])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(&stderr).unwrap()))
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    if line.is_empty() {
        // Port 8080 is taken on this machine: the refusal names the address it tried.
        let st = child.wait().unwrap();
        let err = std::fs::read_to_string(&stderr).unwrap();
        assert_eq!(st.code(), Some(2), "{err}");
        assert!(err.contains("cannot listen on 127.0.0.1:8080"), "{err}");
        return;
    }
    let server = Server {
        child,
        url: "http://127.0.0.1:8080".into(),
        stderr: stderr.clone(),
        stdout: Some(std::thread::spawn(move || {
            let mut rest = line;
            let _ = out.read_to_string(&mut rest);
            rest
        })),
    };
    let (code, body) = http("GET", "http://127.0.0.1:8080/healthz", None);
    assert_eq!((code, body.as_str()), (200, "ok\n"));
    if let (Some(ip), false) = (outward, outward_taken) {
        assert!(
            std::net::TcpStream::connect_timeout(&(ip, 8080).into(), Duration::from_secs(1))
                .is_err(),
            "claw run answered on {ip}:8080"
        );
    }
    let stopped = server.stop(SIGTERM);
    assert!(stopped.status.success());
    assert_eq!(
        stopped.stdout.lines().next(),
        Some("listening on http://127.0.0.1:8080")
    );
    assert!(
        stopped
            .stderr
            .contains("claw run is serving addr=127.0.0.1:8080"),
        "{}",
        stopped.stderr
    );
}
