// Small real media files made on the spot: PNG pictures, a WAV tone and a one-triangle GLB.
// (A WebM clip is recorded by the browser itself; see recordWebm in run.mjs.)
import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

// A width×height RGB PNG: a diagonal gradient between two colours with a soft disc, so each
// picture is recognisable in a screenshot.
export function png(width, height, from, to, disc = [255, 255, 255]) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  const cx = width * 0.62, cy = height * 0.42, r = Math.min(width, height) * 0.22;
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      let px = from.map((f, i) => f + (to[i] - f) * t);
      const d = Math.hypot(x - cx, y - cy);
      const a = d < r ? 0.85 : d < r + 1.5 ? 0.85 * (1 - (d - r) / 1.5) : 0;
      px = px.map((v, i) => v * (1 - a) + disc[i] * a);
      raw.set(px.map(Math.round), row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// Mono 16-bit PCM WAV: a sine tone.
export function wav(seconds = 0.6, hz = 440, rate = 8000) {
  const n = Math.round(seconds * rate);
  const out = Buffer.alloc(44 + n * 2);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + n * 2, 4);
  out.write("WAVEfmt ", 8, "ascii");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write("data", 36, "ascii");
  out.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) out.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 8000), 44 + i * 2);
  return out;
}

// A valid binary glTF 2.0 file holding one triangle.
export function glb() {
  const positions = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]);
  const bin = Buffer.from(positions.buffer);
  const json = {
    asset: { version: "2.0", generator: "fal-mcp app-view harness" },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
    buffers: [{ byteLength: bin.length }],
    bufferViews: [{ buffer: 0, byteOffset: 0, byteLength: bin.length }],
    accessors: [{ bufferView: 0, componentType: 5126, count: 3, type: "VEC3", min: [0, 0, 0], max: [1, 1, 0] }],
  };
  let jsonBuf = Buffer.from(JSON.stringify(json));
  jsonBuf = Buffer.concat([jsonBuf, Buffer.alloc((4 - (jsonBuf.length % 4)) % 4, 0x20)]);
  const binPadded = Buffer.concat([bin, Buffer.alloc((4 - (bin.length % 4)) % 4)]);
  const header = Buffer.alloc(12);
  const total = 12 + 8 + jsonBuf.length + 8 + binPadded.length;
  header.write("glTF", 0, "ascii");
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(total, 8);
  const jsonHead = Buffer.alloc(8);
  jsonHead.writeUInt32LE(jsonBuf.length, 0);
  jsonHead.write("JSON", 4, "ascii");
  const binHead = Buffer.alloc(8);
  binHead.writeUInt32LE(binPadded.length, 0);
  binHead.write("BIN\0", 4, "ascii");
  return Buffer.concat([header, jsonHead, jsonBuf, binHead, binPadded]);
}

// The files every run serves (fixtures mode) or uploads (server mode), by name.
export function mediaFiles() {
  return {
    "fox.png": { type: "image/png", body: png(320, 240, [236, 112, 48], [120, 40, 90]) },
    "tile-1.png": { type: "image/png", body: png(256, 192, [40, 110, 220], [20, 180, 170]) },
    "tile-2.png": { type: "image/png", body: png(256, 192, [130, 70, 220], [230, 90, 150]) },
    "tile-3.png": { type: "image/png", body: png(256, 192, [30, 150, 90], [200, 210, 60]) },
    "tone.wav": { type: "audio/wav", body: wav() },
    "mesh.glb": { type: "model/gltf-binary", body: glb() },
  };
}
