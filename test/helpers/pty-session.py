#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and plays a script against it, for CLI tests that need a
real terminal whose size changes (Node has no pty of its own).

usage: pty-session.py ROWS COLS STEPS_JSON CMD ARG...
STEPS_JSON: a list of {"expect": text} | {"send": text} | {"resize": [rows, cols]} |
{"until": text, "send": text} (sends every half second until the text comes).
Prints {"output": <everything read, latin-1>, "exit": <code>, "failed": <step or null>} as JSON.
"""
import fcntl, json, os, pty, select, signal, struct, sys, termios, time

rows, cols, steps = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
argv = sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)


def set_size(r, c):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))


set_size(rows, cols)
out = b""
seen = 0  # expectations match output after the previous match only


def read_some(timeout):
    global out
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return True
    try:
        data = os.read(fd, 4096)
    except OSError:
        return False
    out += data
    return bool(data)


failed = None
for step in steps:
    if "until" in step:
        want = step["until"].encode()
        deadline = time.time() + 20
        while want not in out[seen:] and time.time() < deadline:
            os.write(fd, step["send"].encode())
            end = time.time() + 0.5
            while want not in out[seen:] and time.time() < end and read_some(0.1):
                pass
        at = out.find(want, seen)
        if at < 0:
            failed = step
            break
        seen = at + len(want)
    elif "sleep" in step:
        time.sleep(step["sleep"])
    elif "send" in step:
        os.write(fd, step["send"].encode())
    elif "resize" in step:
        set_size(*step["resize"])
        os.kill(pid, signal.SIGWINCH)
    elif "expect" in step:
        want = step["expect"].encode()
        deadline = time.time() + 20
        while want not in out[seen:] and time.time() < deadline:
            if not read_some(0.2):
                break
        at = out.find(want, seen)
        if at < 0:
            failed = step
            break
        seen = at + len(want)

deadline = time.time() + 20
while time.time() < deadline and read_some(0.2):
    pass
if failed:
    os.kill(pid, signal.SIGKILL)
_, status = os.waitpid(pid, 0)
print(json.dumps({"output": out.decode("latin-1"), "exit": os.waitstatus_to_exitcode(status), "failed": failed}))
