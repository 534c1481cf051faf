/*
 * A small ZIP reader for the generator page's Explore: the central
 * directory, stored (method 0) and deflated (method 8) entries through the
 * browser's DecompressionStream("deflate-raw"), UTF-8 names, CRC-32 checked.
 * Bounded: an archive, an entry count or an entry size past the limits
 * below is refused, and every offset is checked against the buffer, so a
 * corrupt or hostile ZIP ends in an Error with a message, never a hang.
 * No ZIP64, no encryption, no multi-disk archives (the API's ZIPs need
 * none): such archives are refused with a message that says so.
 *
 * window.DjassZip.read(arrayBuffer) -> { entries: [...], buffer }
 * window.DjassZip.bytes(zip, entry) -> Promise<Uint8Array>
 */
(function () {
    'use strict';

    var LIMITS = {
        archive: 256 * 1048576,     /* bytes of the whole ZIP */
        entries: 20000,             /* central directory records */
        entry: 64 * 1048576,        /* uncompressed bytes of one entry */
        name: 4096                  /* bytes of one name */
    };

    var SIG_EOCD = 0x06054b50;
    var SIG_CEN = 0x02014b50;
    var SIG_LOC = 0x04034b50;

    var CRC_TABLE = (function () {
        var t = new Uint32Array(256);
        var n, c, k;
        for (n = 0; n < 256; n++) {
            c = n;
            for (k = 0; k < 8; k++) {
                c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
            }
            t[n] = c >>> 0;
        }
        return t;
    }());

    function crc32(bytes) {
        var c = 0xffffffff;
        var i;
        for (i = 0; i < bytes.length; i++) {
            c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
        }
        return (c ^ 0xffffffff) >>> 0;
    }

    function fail(msg) { throw new Error('Not a readable ZIP: ' + msg); }

    /* code page 437's upper half, for names without the UTF-8 flag that
       are not valid UTF-8 either (old tools) */
    var CP437 = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»'
        + '░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀'
        + 'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

    function nameOf(bytes, utf8Flag) {
        var s = '';
        var i;
        try {
            return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch (e) {
            if (utf8Flag) { fail('an entry name is not valid UTF-8'); }
        }
        for (i = 0; i < bytes.length; i++) {
            s += bytes[i] < 0x80 ? String.fromCharCode(bytes[i])
                                 : CP437.charAt(bytes[i] - 0x80);
        }
        return s;
    }

    function read(buffer) {
        var size = buffer.byteLength;
        var v = new DataView(buffer);
        var u8 = new Uint8Array(buffer);
        var eocd = -1;
        var i, count, cdSize, cdOffset, p, entries, seen;

        if (size > LIMITS.archive) {
            fail('it is larger than ' + LIMITS.archive / 1048576 + ' MB');
        }
        if (size < 22) { fail('it is too short'); }
        /* the end record: the last 22 bytes, or before a comment */
        for (i = size - 22; i >= Math.max(0, size - 22 - 65535); i--) {
            if (v.getUint32(i, true) === SIG_EOCD
                && i + 22 + v.getUint16(i + 20, true) === size)
            {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) { fail('no end of central directory record'); }
        if (v.getUint16(eocd + 4, true) !== 0
            || v.getUint16(eocd + 6, true) !== 0)
        {
            fail('multi-disk archives are not supported');
        }
        count = v.getUint16(eocd + 10, true);
        cdSize = v.getUint32(eocd + 12, true);
        cdOffset = v.getUint32(eocd + 16, true);
        if (count === 0xffff || cdSize === 0xffffffff
            || cdOffset === 0xffffffff)
        {
            fail('ZIP64 archives are not supported');
        }
        if (count !== v.getUint16(eocd + 8, true)) {
            fail('the entry counts disagree');
        }
        if (count > LIMITS.entries) {
            fail('more than ' + LIMITS.entries + ' entries');
        }
        if (cdOffset + cdSize > eocd || count * 46 > cdSize) {
            fail('the central directory is out of bounds');
        }
        entries = [];
        seen = {};
        p = cdOffset;
        for (i = 0; i < count; i++) {
            var flags, method, crc, csize, usize, nlen, xlen, clen, local;
            var name, attrs;
            if (p + 46 > cdOffset + cdSize || v.getUint32(p, true) !== SIG_CEN)
            {
                fail('central directory record ' + (i + 1) + ' is damaged');
            }
            flags = v.getUint16(p + 8, true);
            method = v.getUint16(p + 10, true);
            crc = v.getUint32(p + 16, true);
            csize = v.getUint32(p + 20, true);
            usize = v.getUint32(p + 24, true);
            nlen = v.getUint16(p + 28, true);
            xlen = v.getUint16(p + 30, true);
            clen = v.getUint16(p + 32, true);
            attrs = v.getUint32(p + 38, true);
            local = v.getUint32(p + 42, true);
            if (p + 46 + nlen + xlen + clen > cdOffset + cdSize) {
                fail('central directory record ' + (i + 1)
                     + ' runs past the directory');
            }
            if (nlen === 0 || nlen > LIMITS.name) {
                fail('entry ' + (i + 1) + ' has no usable name');
            }
            name = nameOf(u8.subarray(p + 46, p + 46 + nlen),
                          (flags & 0x800) !== 0);
            if (name.indexOf('\u0000') !== -1) {
                fail('an entry name holds a NUL byte');
            }
            if (seen[name]) { fail('the name ' + name + ' appears twice'); }
            seen[name] = 1;
            if (local + 30 > cdOffset || csize > cdOffset - local) {
                fail(name + ': its data lies outside the archive');
            }
            entries.push({
                name: name,
                dir: name.slice(-1) === '/',
                method: method,
                encrypted: (flags & 1) !== 0,
                crc: crc,
                csize: csize,
                size: usize,
                mode: attrs >>> 16,
                local: local
            });
            p += 46 + nlen + xlen + clen;
        }
        return { entries: entries, buffer: buffer, end: cdOffset };
    }

    /* all of a stream's bytes, at most max of them */
    function collect(stream, max) {
        var reader = stream.getReader();
        var parts = [];
        var total = 0;
        function next() {
            return reader.read().then(function (r) {
                var out, at;
                if (r.done) {
                    out = new Uint8Array(total);
                    at = 0;
                    parts.forEach(function (c) { out.set(c, at);
                                                 at += c.length; });
                    return out;
                }
                total += r.value.length;
                if (total > max) {
                    reader.cancel();
                    throw new Error('Not a readable ZIP: an entry inflates '
                                    + 'past its declared size');
                }
                parts.push(r.value);
                return next();
            });
        }
        return next();
    }

    function bytes(zip, e) {
        var v = new DataView(zip.buffer);
        var start, data;
        return Promise.resolve().then(function () {
            if (e.encrypted) { fail(e.name + ' is encrypted'); }
            if (e.size > LIMITS.entry) {
                fail(e.name + ' is larger than '
                     + LIMITS.entry / 1048576 + ' MB');
            }
            if (v.getUint32(e.local, true) !== SIG_LOC) {
                fail(e.name + ': its local header is missing');
            }
            start = e.local + 30 + v.getUint16(e.local + 26, true)
                    + v.getUint16(e.local + 28, true);
            if (start + e.csize > zip.end) {
                fail(e.name + ': its data runs past the archive');
            }
            data = new Uint8Array(zip.buffer, start, e.csize);
            if (e.method === 0) {
                if (e.csize !== e.size) {
                    fail(e.name + ': stored sizes disagree');
                }
                return data.slice();
            }
            if (e.method !== 8) {
                fail(e.name + ': compression method ' + e.method
                     + ' is not supported');
            }
            /* deflate expands at most about 1032:1 */
            if (e.size > e.csize * 1032 + 1024) {
                fail(e.name + ': its sizes are impossible');
            }
            return collect(new Blob([data]).stream().pipeThrough(
                new DecompressionStream('deflate-raw')), e.size)
                .catch(function (err) {
                    if (/^Not a readable ZIP/.test(err.message)) {
                        throw err;
                    }
                    fail(e.name + ': its compressed data is damaged');
                });
        }).then(function (out) {
            if (out.length !== e.size) {
                fail(e.name + ': ' + out.length + ' bytes instead of '
                     + e.size);
            }
            if (crc32(out) !== e.crc) {
                fail(e.name + ': its CRC-32 does not match');
            }
            return out;
        });
    }

    window.DjassZip = { read: read, bytes: bytes, crc32: crc32,
                        limits: LIMITS };
}());
