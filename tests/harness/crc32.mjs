// CRC-32 (IEEE 802.3, the zlib one: reflected polynomial 0xEDB88320, initial
// value and final xor 0xFFFFFFFF), as DynamoDB puts in its x-amz-crc32
// header.  node:zlib has crc32() only from Node.js 20.15; the tests run on
// Debian 12's Node.js 18 too, so the peer carries its own.

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

// crc32(bytes): the checksum of a Buffer or Uint8Array as an unsigned
// 32-bit number (what zlib.crc32 returns).
export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
