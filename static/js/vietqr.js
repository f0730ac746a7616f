// VietQR on the phone, without a network: the EMVCo payload (as marketplace/vietqr.py
// builds it, CRC-16/CCITT-FALSE included) and a small QR encoder (byte mode, level M,
// versions 1-10) drawing it as an SVG data URI. Tested against the Python builder and a decoder.
(function (root) {
  "use strict";

  // --- the payload -----------------------------------------------------------------------------
  function crc16(text) {
    var crc = 0xffff;
    for (var i = 0; i < text.length; i++) {
      crc ^= text.charCodeAt(i) << 8;
      for (var b = 0; b < 8; b++) { crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff; }
    }
    return ("000" + crc.toString(16).toUpperCase()).slice(-4);
  }
  function tlv(tag, value) { return tag + ("0" + value.length).slice(-2) + value; }
  function transferNote(text) {
    var ascii = (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").replace(/[^A-Za-z0-9 ]+/g, " ");
    return ascii.replace(/\s+/g, " ").trim().slice(0, 25).trim();
  }
  function payload(bankBin, account, amount, note) {
    var merchant = tlv("00", "A000000727") + tlv("01", tlv("00", bankBin) + tlv("01", account)) +
      tlv("02", "QRIBFTTA");
    var body = tlv("00", "01") + tlv("01", amount ? "12" : "11") + tlv("38", merchant) + tlv("53", "704");
    if (amount) { body += tlv("54", String(Math.round(amount))); }
    body += tlv("58", "VN");
    var clean = note ? transferNote(note) : "";
    if (clean) { body += tlv("62", tlv("08", clean)); }
    body += "6304";
    return body + crc16(body);
  }

  // --- the QR code (ISO/IEC 18004), level M ----------------------------------------------------
  // Per version: [error-correction codewords per block, [blocks, data codewords], ...].
  var BLOCKS = [null, [10, [1, 16]], [16, [1, 28]], [26, [1, 44]], [18, [2, 32]], [24, [2, 43]],
    [16, [4, 27]], [18, [4, 31]], [22, [2, 38], [2, 39]], [22, [3, 36], [2, 37]], [26, [4, 43], [1, 44]]];
  var ALIGN = [null, [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42],
    [6, 26, 46], [6, 28, 50]];
  var EXP = [], LOG = [];
  (function () {
    var x = 1;
    for (var i = 0; i < 255; i++) { EXP[i] = x; LOG[x] = i; x <<= 1; if (x & 0x100) { x ^= 0x11d; } }
    for (i = 255; i < 512; i++) { EXP[i] = EXP[i - 255]; }
  })();
  function mul(a, b) { return a && b ? EXP[LOG[a] + LOG[b]] : 0; }
  function ecc(data, n) {
    var gen = [1];
    for (var i = 0; i < n; i++) {
      var next = new Array(gen.length + 1).fill(0);
      for (var j = 0; j < gen.length; j++) { next[j] ^= gen[j]; next[j + 1] ^= mul(gen[j], EXP[i]); }
      gen = next;
    }
    var rest = data.concat(new Array(n).fill(0));
    for (i = 0; i < data.length; i++) {
      var f = rest[i];
      if (f) { for (j = 0; j < gen.length; j++) { rest[i + j] ^= mul(gen[j], f); } }
    }
    return rest.slice(data.length);
  }
  function dataCapacity(v) {
    return BLOCKS[v].slice(1).reduce(function (s, g) { return s + g[0] * g[1]; }, 0);
  }
  function codewords(bytes, v) {
    var bits = [];
    function put(value, len) { for (var i = len - 1; i >= 0; i--) { bits.push((value >>> i) & 1); } }
    put(4, 4); put(bytes.length, v < 10 ? 8 : 16);
    bytes.forEach(function (b) { put(b, 8); });
    var cap = dataCapacity(v) * 8;
    put(0, Math.min(4, cap - bits.length));
    while (bits.length % 8) { bits.push(0); }
    var data = [];
    for (var i = 0; i < bits.length; i += 8) { data.push(parseInt(bits.slice(i, i + 8).join(""), 2)); }
    for (var pad = 0; data.length < cap / 8; pad++) { data.push(pad % 2 ? 0x11 : 0xec); }
    var blocks = [], eccs = [], at = 0, n = BLOCKS[v][0];
    BLOCKS[v].slice(1).forEach(function (g) {
      for (var k = 0; k < g[0]; k++) { var blk = data.slice(at, at + g[1]); at += g[1]; blocks.push(blk); eccs.push(ecc(blk, n)); }
    });
    var out = [], most = Math.max.apply(null, blocks.map(function (b) { return b.length; }));
    for (i = 0; i < most; i++) { blocks.forEach(function (b) { if (i < b.length) { out.push(b[i]); } }); }
    for (i = 0; i < n; i++) { eccs.forEach(function (e) { out.push(e[i]); }); }
    return out;
  }
  function bch(value, poly, bits) {  // value followed by its BCH remainder (format, version)
    var rem = value;
    for (var i = 0; i < bits; i++) { rem = (rem << 1) ^ ((rem >>> (bits - 1)) * poly); }
    return (value << bits) | (rem & ((1 << bits) - 1));
  }
  function matrix(text) {
    var bytes = Array.from(new TextEncoder().encode(text));
    var v = 1;
    while (v <= 10 && dataCapacity(v) < bytes.length + (v < 10 ? 2 : 3)) { v++; }
    if (v > 10) { throw new Error("too long for a VietQR"); }
    var size = 17 + 4 * v, m = [], fixed = [];
    for (var r = 0; r < size; r++) { m.push(new Array(size).fill(0)); fixed.push(new Array(size).fill(false)); }
    function set(r, c, dark) { if (r >= 0 && c >= 0 && r < size && c < size) { m[r][c] = dark ? 1 : 0; fixed[r][c] = true; } }
    function finder(r0, c0) {
      for (var dr = -1; dr <= 7; dr++) {
        for (var dc = -1; dc <= 7; dc++) {
          var ring = Math.max(Math.abs(dr - 3), Math.abs(dc - 3));
          set(r0 + dr, c0 + dc, ring !== 2 && ring !== 4);
        }
      }
    }
    finder(0, 0); finder(0, size - 7); finder(size - 7, 0);
    for (var i = 8; i < size - 8; i++) { set(6, i, i % 2 === 0); set(i, 6, i % 2 === 0); }
    var al = ALIGN[v];
    var last = al.length - 1;
    al.forEach(function (ar, ai) {
      al.forEach(function (ac, aj) {
        if ((ai === 0 && aj === 0) || (ai === 0 && aj === last) || (ai === last && aj === 0)) { return; }
        for (var dr = -2; dr <= 2; dr++) { for (var dc = -2; dc <= 2; dc++) { set(ar + dr, ac + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1); } }
      });
    });
    set(size - 8, 8, true);  // the dark module
    for (i = 0; i < 9; i++) { fixed[8][i] = fixed[i][8] = true; }
    for (i = 0; i < 8; i++) { fixed[8][size - 1 - i] = fixed[size - 1 - i][8] = true; }
    if (v >= 7) {
      var vinfo = bch(v, 0x1f25, 12);
      for (i = 0; i < 18; i++) {
        var bit = (vinfo >> i) & 1, a = Math.floor(i / 3), b = size - 11 + (i % 3);
        set(a, b, bit); set(b, a, bit);
      }
    }
    var bits = [];
    codewords(bytes, v).forEach(function (cw) { for (var k = 7; k >= 0; k--) { bits.push((cw >> k) & 1); } });
    var idx = 0, mask = 0;  // mask 0: (row + column) even
    for (var col = size - 1; col > 0; col -= 2) {
      if (col === 6) { col--; }
      for (var step = 0; step < size; step++) {
        var row = ((col + 1) & 2) ? step : size - 1 - step;
        for (var d = 0; d < 2; d++) {
          var c = col - d;
          if (fixed[row][c]) { continue; }
          var dark = idx < bits.length ? bits[idx] : 0;
          idx++;
          m[row][c] = ((row + c) % 2 === 0) ? dark ^ 1 : dark;
        }
      }
    }
    var fmt = bch((0 << 3) | mask, 0x537, 10) ^ 0x5412;  // level M is 00
    function fbit(k) { return (fmt >> k) & 1; }
    for (i = 0; i <= 5; i++) { m[i][8] = fbit(i); }
    m[7][8] = fbit(6); m[8][8] = fbit(7); m[8][7] = fbit(8);
    for (i = 9; i < 15; i++) { m[8][14 - i] = fbit(i); }
    for (i = 0; i < 8; i++) { m[8][size - 1 - i] = fbit(i); }
    for (i = 8; i < 15; i++) { m[size - 15 + i][8] = fbit(i); }
    m[size - 8][8] = 1;  // the dark module
    return m;
  }
  function svgDataUri(text) {
    var m = matrix(text), size = m.length, q = 4, path = "";
    for (var r = 0; r < size; r++) { for (var c = 0; c < size; c++) { if (m[r][c]) { path += "M" + (c + q) + " " + (r + q) + "h1v1h-1z"; } } }
    var n = size + 2 * q;
    var svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + n + " " + n + '" shape-rendering="crispEdges">' +
      '<rect width="' + n + '" height="' + n + '" fill="#fff"/><path d="' + path + '" fill="#000"/></svg>';
    return "data:image/svg+xml;base64," + btoa(svg);
  }

  root.VietQR = { payload: payload, crc16: crc16, transferNote: transferNote, matrix: matrix, svgDataUri: svgDataUri };
})(window);
