/**
 * Reads a QR code out of a PNG `data:` URI the way a phone's camera would: the PNG decoded here
 * (8-bit grey, RGB or RGBA, the five row filters, no interlace: what an encoder writes), the
 * pixels handed to jsQR. Nothing of the console's encoder is reused.
 */
import { inflateSync } from 'node:zlib';
import jsQR from 'jsqr';

interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Decodes a non-interlaced 8-bit PNG (colour types 0, 2, 6) to RGBA. */
export function decodePng(png: Buffer): Rgba {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let colourType = -1;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      colourType = body[9]!;
      if (body[8] !== 8 || body[12] !== 0) throw new Error('unsupported PNG: bit depth or interlace');
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const channels = ({ 0: 1, 2: 3, 6: 4 } as Record<number, number>)[colourType];
  if (!channels) throw new Error(`unsupported PNG colour type ${colourType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      if (predictor === undefined) throw new Error(`bad PNG filter ${filter}`);
      pixels[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const px = pixels.subarray(i * channels, i * channels + channels);
    data[i * 4] = px[0]!;
    data[i * 4 + 1] = channels === 1 ? px[0]! : px[1]!;
    data[i * 4 + 2] = channels === 1 ? px[0]! : px[2]!;
    data[i * 4 + 3] = channels === 4 ? px[3]! : 255;
  }
  return { width, height, data };
}

/** The text of the QR code in a `data:image/png;base64,…` URI, or undefined when none is found. */
export function readQrDataUri(uri: string): string | undefined {
  const m = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(uri);
  if (!m) throw new Error('not a PNG data URI');
  const image = decodePng(Buffer.from(m[1]!, 'base64'));
  return jsQR(image.data, image.width, image.height)?.data;
}
