# The bootstrap of a `code.python` step (runtime/src/python/mod.rs runs it as `python3 -c`).
#
# It reads one JSON request from stdin ({"code", "input_data", "seed"}), imports the standard
# library subset user code may use, installs a PEP 578 audit hook that refuses files, sockets,
# processes, ctypes and any further import, then runs the code the way Code by Zapier does:
# the code is the body of a function (so a top-level `return` works), `input_data` is a dict,
# the result is what it returns or else its `output` variable. `print` goes to a buffer. The
# last line written to stdout is the JSON answer the runtime reads.
#
# The hook is defence in depth, not the boundary (PEP 578 says audit hooks cannot sandbox):
# the rlimits, the dropped user and the network namespace set before exec are.
import sys, os, io, json, ast

_write = os.write
_dumps = json.dumps
_LOG_CAP = 64 * 1024


def _answer(obj):
    _write(1, (_dumps(obj, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8", "replace"))


def _net_isolated():
    # In a fresh network namespace the only interface is `lo`.
    try:
        import socket
        names = [n for _, n in socket.if_nameindex()]
        return names == ["lo"]
    except Exception:
        return False
    finally:
        for m in ("socket", "_socket", "selectors", "select", "array"):
            sys.modules.pop(m, None)


_ALLOWED = (
    "json re math cmath decimal fractions statistics random datetime time calendar _strptime "
    "collections collections.abc itertools functools operator string textwrap unicodedata "
    "base64 binascii hashlib hmac uuid copy urllib.parse html html.parser difflib typing "
    "dataclasses enum csv struct bisect heapq pprint zlib traceback "
    "encodings.idna encodings.latin_1 encodings.ascii encodings.cp1252 encodings.utf_16 "
    "encodings.utf_32 encodings.utf_8_sig encodings.punycode"
).split()

_BLOCKED_PREFIXES = (
    "os.", "socket.", "subprocess.", "shutil.", "ctypes.", "pty.", "mmap.", "glob.",
    "tempfile.", "fcntl.", "signal.", "resource.", "syslog.", "sqlite3.", "http.", "urllib.",
    "ftplib.", "smtplib.", "poplib.", "imaplib.", "nntplib.", "telnetlib.", "webbrowser.",
    "cpython.", "msvcrt.", "winreg.", "_winapi.", "sys.addaudithook", "builtins.input",
    "setopencodehook",
)


class SandboxRefused(PermissionError):
    """An operation the code.python sandbox does not allow."""


def _hook(event, args):
    if event == "import":
        name = args[0] if args else "?"
        raise SandboxRefused(
            "claw sandbox: module `%s` is not available (no third-party packages; "
            "standard library subset only, see docs/runtime.md)" % name
        )
    if event == "open" or event.startswith(_BLOCKED_PREFIXES):
        raise SandboxRefused("claw sandbox: `%s` is not allowed (no files, network or processes)" % event)


def _function(code):
    # Zapier runs the code as a function body: wrap the parsed module in `def`, so a
    # top-level `return` is legal and string literals keep their text (no re-indenting).
    tree = ast.parse(code, "<code>", "exec")
    body = tree.body + [ast.Return(ast.Name("output", ast.Load()))]
    fn = ast.FunctionDef(
        name="__claw_code", args=ast.arguments([], [], None, [], [], None, []),
        body=body, decorator_list=[], returns=None, type_params=[],
    )
    mod = ast.Module([fn], [])
    ast.fix_missing_locations(mod)
    return compile(mod, "<code>", "exec")


def _line(tb):
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<code>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def main():
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    isolated = _net_isolated()
    for name in _ALLOWED:
        try:
            __import__(name)
        except ImportError:
            pass
    import random
    random.seed(request.get("seed", ""))
    logs = io.StringIO()
    try:
        code = _function(request.get("code", ""))
    except SyntaxError as e:
        _answer({"ok": False, "kind": "script", "isolated": isolated,
                 "message": "SyntaxError: %s (line %s)" % (e.msg, e.lineno), "logs": ""})
        return
    data = request.get("input_data")
    scope = {"__name__": "__code__", "__builtins__": __builtins__,
             "input_data": data if isinstance(data, dict) else {}, "output": None}
    sys.stdout = sys.stderr = logs
    sys.addaudithook(_hook)
    kind, message, result = None, None, None
    try:
        exec(code, scope)
        result = scope["__claw_code"]()
    except MemoryError:
        kind, message = "memory", "MemoryError"
    except SandboxRefused as e:
        kind, message = "refused", str(e)
    except BaseException as e:  # SystemExit and KeyboardInterrupt are the code's too
        line = _line(e.__traceback__)
        at = " (line %d)" % line if line else ""
        kind, message = "script", "%s: %s%s" % (type(e).__name__, e, at)
    text = logs.getvalue()[-_LOG_CAP:]
    if kind is not None:
        _answer({"ok": False, "kind": kind, "isolated": isolated, "message": message, "logs": text})
        return
    if result is None:
        result = {}
    if not isinstance(result, (dict, list)):
        _answer({"ok": False, "kind": "output", "isolated": isolated, "logs": text,
                 "message": "output must be a dict or a list of dicts, not %s" % type(result).__name__})
        return
    try:
        _answer({"ok": True, "isolated": isolated, "output": result, "logs": text})
    except (TypeError, ValueError) as e:
        _answer({"ok": False, "kind": "output", "isolated": isolated, "logs": text,
                 "message": "output is not JSON: %s" % e})


try:
    main()
except MemoryError:
    _answer({"ok": False, "kind": "memory", "isolated": False, "message": "MemoryError", "logs": ""})
