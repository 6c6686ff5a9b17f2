//! A loopback TCP listener that a sandbox test points hostile code at, to prove that no
//! connection reached it (a refused `connect` alone does not show that nothing got through).

use std::io::Read;
use std::net::TcpListener;

/// A listener on `127.0.0.1` that never answers; [`Sink::arrived`] says what reached it.
pub struct Sink {
    listener: TcpListener,
}

impl Sink {
    /// Binds a free loopback port.
    pub fn bind() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        Sink { listener }
    }

    /// The port code under test is told to connect to.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The bytes of every connection accepted so far (empty when nothing connected).
    pub fn arrived(&self) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        while let Ok((mut s, _)) = self.listener.accept() {
            let mut b = Vec::new();
            let _ = s.read_to_end(&mut b);
            got.push(b);
        }
        got
    }
}
