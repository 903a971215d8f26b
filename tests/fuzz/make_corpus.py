#!/usr/bin/env python3
"""make_corpus.py -- writes the hand-made seed stories of tests/fuzz/corpus/.

Each seed is a tiny story file assembled byte by byte from the facts of the
Z-Machine Standards Document (header layout §11, object table §12,
dictionary §13, instruction encoding §4), so the fuzzer starts from files
that load and run, plus a few that must be refused or halted cleanly:
division by zero, an illegal opcode, unbounded recursion (stack overflow),
an endless loop (budget), a PC outside memory, a truncated header and an
unsupported version.  Run it from anywhere; it rewrites the files in place.
The fuzz script adds our compiled test games (tests/games/*.inf) at run time.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

ZCHARS = "abcdefghijklmnopqrstuvwxyz"


def zstring(text):
    """Encode lower-case letters and spaces as a Z-string (§3)."""
    codes = []
    for ch in text:
        codes.append(0 if ch == " " else 6 + ZCHARS.index(ch))
    while len(codes) % 3:
        codes.append(5)
    out = b""
    for i in range(0, len(codes), 3):
        w = (codes[i] << 10) | (codes[i + 1] << 5) | codes[i + 2]
        if i + 3 == len(codes):
            w |= 0x8000
        out += struct.pack(">H", w)
    return out


def dict_word(word, nchars):
    """A dictionary key: the word's Z-characters padded with 5s (§13.3)."""
    codes = [6 + ZCHARS.index(ch) for ch in word][:nchars]
    codes += [5] * (nchars - len(codes))
    out = b""
    for i in range(0, nchars, 3):
        w = (codes[i] << 10) | (codes[i + 1] << 5) | codes[i + 2]
        if i + 3 == nchars:
            w |= 0x8000
        out += struct.pack(">H", w)
    return out


def story(version, code_fn, pad_to=None):
    """Lay out header, abbreviations, objects, globals, buffers, dictionary
    and code; code_fn(layout) returns the code bytes placed at high memory."""
    mem = bytearray(0x40)
    abbrev = 0x40                        # 96 words of abbreviation pointers
    objects = abbrev + 96 * 2
    ndefaults = 31 if version <= 3 else 63
    entry = 9 if version <= 3 else 14
    nobj = 2
    props = objects + ndefaults * 2 + nobj * entry
    propdata = bytearray()
    prop_addrs = []
    for i in range(nobj):
        prop_addrs.append(props + len(propdata))
        name = zstring("box" if i == 0 else "ball")
        propdata += bytes([len(name) // 2]) + name
        # property 5, two bytes (§12.4: v3 size byte 32*(len-1)+num; v4+
        # bit 6 set means length 2)
        propdata += bytes([(1 << 5) | 5 if version <= 3 else 0x40 | 5]) + b"\x00\x07"
        propdata += b"\x00"
    globals_ = props + len(propdata)
    globals_ += globals_ & 1
    textbuf = globals_ + 240 * 2
    parsebuf = textbuf + 82
    dictionary = parsebuf + 42
    words = ["look", "quit"]
    entry_len = 7 if version <= 3 else 9
    dict_bytes = bytearray([1, ord("."), entry_len]) + struct.pack(">H", len(words))
    for w in words:
        nbytes = 4 if version <= 3 else 6
        dict_bytes += dict_word(w, nbytes // 2 * 3) + b"\x00" * (entry_len - nbytes)
    static = dictionary + len(dict_bytes)
    align = 2 if version <= 3 else (4 if version <= 5 else 8)
    high = (static + align - 1) // align * align
    layout = dict(text=textbuf, parse=parsebuf, high=high, align=align)
    code = code_fn(layout)

    body = bytearray(high)
    body[0:0x40] = mem
    # object table: defaults, entries, property tables
    for i in range(nobj):
        at = objects + ndefaults * 2 + i * entry
        if version <= 3:
            body[at:at + 4] = bytes([0x80, 0, 0, 0])
            body[at + 4:at + 7] = bytes([0, 0, 2 if i == 0 else 0])
            body[at + 4] = 0 if i == 0 else 1
            body[at + 7:at + 9] = struct.pack(">H", prop_addrs[i])
        else:
            body[at:at + 6] = bytes([0x80, 0, 0, 0, 0, 1])
            rel = struct.pack(">HHH", 0 if i == 0 else 1, 0, 2 if i == 0 else 0)
            body[at + 6:at + 12] = rel
            body[at + 12:at + 14] = struct.pack(">H", prop_addrs[i])
    body[props:props + len(propdata)] = propdata
    body[textbuf] = 78
    # Global 0 is the v3 status line's location object (§8.2.2).
    struct.pack_into(">H", body, globals_, 1)
    body[parsebuf] = 20
    body[dictionary:dictionary + len(dict_bytes)] = dict_bytes
    body += code
    if pad_to:
        body += b"\x00" * max(0, pad_to - len(body))
    while len(body) % align:
        body += b"\x00"

    scale = 2 if version <= 3 else (4 if version <= 5 else 8)
    body[0] = version
    struct.pack_into(">H", body, 0x04, high)          # high memory base
    struct.pack_into(">H", body, 0x06, high)          # initial PC
    struct.pack_into(">H", body, 0x08, dictionary)
    struct.pack_into(">H", body, 0x0A, objects)
    struct.pack_into(">H", body, 0x0C, globals_)
    struct.pack_into(">H", body, 0x0E, static)        # static memory base
    struct.pack_into(">H", body, 0x18, abbrev)
    struct.pack_into(">H", body, 0x1A, len(body) // scale)
    body[0x12:0x18] = b"261125"
    struct.pack_into(">H", body, 0x1C, sum(body[0x40:]) & 0xFFFF)
    return bytes(body)


def read_op(version, lay):
    """sread/aread text parse (VAR 0x04); v5+ stores the terminator, and
    byte 1 of its buffer (text already typed) is cleared first with
    storeb text 1 0, as games do."""
    op = b"\xe4\x0f" + struct.pack(">HH", lay["text"], lay["parse"])
    if version < 5:
        return op
    return b"\xe2\x17" + struct.pack(">H", lay["text"]) + b"\x01\x00" + op + b"\x00"


def hello_loop(version):
    """print "hello"; new_line; loop { read; print_char '>' }."""
    def code(lay):
        head = b"\xb2" + zstring("hello") + b"\xbb"
        loop = read_op(version, lay) + b"\xe5\x7f\x3e"
        back = -(len(loop) + 3) + 2
        return head + loop + b"\x8c" + struct.pack(">h", back)
    return code


def objects_then_quit(version):
    """Walk the object opcodes: get_child, get_parent, test_attr, get_prop,
    insert_obj, remove_obj, print_obj; then quit."""
    def code(lay):
        c = b""
        c += b"\x92\x01\x00\xc2"        # get_child 1 -> sp ?(on true, skip 0 bytes)
        c += b"\x93\x02\x00"            # get_parent 2 -> sp
        c += b"\x9a\x01"                # print_obj 1 (1OP, small constant)
        c += b"\xbb"                    # new_line
        c += b"\x11\x01\x05\x00"        # get_prop 1 5 -> sp
        c += b"\x0e\x02\x01"            # insert_obj 2 1
        c += b"\x99\x02"                # remove_obj 2
        c += b"\x0b\x01\x03"            # set_attr 1 3
        c += b"\xe6\x3f" + b"\x01\x00"  # print_num 256
        c += b"\xbb\xba"                # new_line, quit
        return c
    return code


def div_zero(version):
    return lambda lay: b"\x17\x01\x00\x00\xba"          # div 1 0 -> sp; quit


def illegal(version):
    return lambda lay: b"\xb2" + zstring("x") + b"\x00\x00\x00\xba"   # 2OP opcode 0 is illegal


def recurse(version):
    """A routine that calls itself forever: the stack must overflow cleanly."""
    def code(lay):
        a = lay["align"]
        start = lay["high"]
        c = bytearray(b"\xe0\x3f\x00\x00\x00\xba")    # call_vs R -> sp; quit
        r = start + len(c)
        pad = (-r) % a
        c += b"\x00" * pad
        r += pad
        packed = r // a
        c[2:4] = struct.pack(">H", packed)
        body = b"\x00"                                  # no locals (v5 header)
        body += b"\xe0\x3f" + struct.pack(">H", packed) + b"\x00" + b"\xb8"  # call self; ret_popped
        return bytes(c) + body
    return code


def endless(version):
    return lambda lay: b"\x8c\xff\xff"                   # jump to itself


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    for v in (3, 5, 8):
        write("hello.z%d" % v, story(v, hello_loop(v)))
    write("objects.z3", story(3, objects_then_quit(3)))
    write("objects.z5", story(5, objects_then_quit(5)))
    write("divzero.z5", story(5, div_zero(5)))
    write("illegal.z3", story(3, illegal(3)))
    write("recurse.z5", story(5, recurse(5)))
    write("endless.z3", story(3, endless(3)))
    bad_pc = bytearray(story(5, hello_loop(5)))
    struct.pack_into(">H", bad_pc, 0x06, 0xFFF0)
    write("badpc.z5", bytes(bad_pc))
    write("truncated.z5", story(5, hello_loop(5))[:40])
    v6 = bytearray(story(5, hello_loop(5)))
    v6[0] = 6
    write("version6.z6", bytes(v6))


if __name__ == "__main__":
    main()
