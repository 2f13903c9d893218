/**
 * A stored document sent to a browser: its own media type, inline or as a download, sandboxed
 * so a document can never run script in the application's origin.
 */
import type { Response } from 'express';
import type { StoredDocument } from '../services/conversion/documents';

/** `Content-Disposition` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 8187). */
export function contentDisposition(kind: 'inline' | 'attachment', displayName: string): string {
  const ascii = displayName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._() -]/g, '_')
    .slice(0, 120);
  const encoded = encodeURIComponent(displayName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii || 'document'}"; filename*=UTF-8''${encoded}`;
}

/**
 * Sends stored bytes with the stored media type (never HTML), `nosniff`, a sandboxing CSP that
 * allows nothing to run or load, and no caching anywhere.
 */
export function sendDocument(res: Response, doc: Pick<StoredDocument, 'mediaType' | 'displayName'>, bytes: Uint8Array, disposition: 'inline' | 'attachment' = 'inline'): void {
  res.setHeader('Content-Type', doc.mediaType);
  res.setHeader('Content-Disposition', contentDisposition(disposition, doc.displayName));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.status(200).end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
