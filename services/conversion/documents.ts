/**
 * Document storage: uploaded files (signed conversion requests, identity documents, faxes) and
 * generated ones (MV35). The bytes live on disk under a generated name (`<2 hex>/<uuid>`, no
 * extension, nothing of the uploader's name) in `documentsDir`, a directory no route serves
 * statically; the `documents` row holds the media type, size, SHA-256 and the sanitised display
 * name. Files that carried malware go to `documentsDir/quarantine/` with a `quarantined_uploads`
 * row and are never attached. Reading back happens only through staff routes (`sendDocument`),
 * with the stored media type and headers that stop a browser from executing anything.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Pool, PoolClient } from '../../lib/db';
import type { Logger } from '../../lib/logger';
import { appendAudit, audit } from '../../lib/audit';
import { DomainError, ErrorType } from '../../domain/errors';
import { checkUpload, quarantinedError, type RawUpload, type UploadMediaType } from '../../domain/uploads';

export type DocumentKind = 'signed_request' | 'identity_document' | 'fax' | 'mv35';

/** A stored document as the API describes it (no path, no hash). */
export interface StoredDocument {
  documentId: string;
  credentialId: string;
  kind: DocumentKind;
  mediaType: UploadMediaType;
  sizeBytes: number;
  displayName: string;
}

type Queryable = Pick<PoolClient, 'query'>;

const STORAGE_NAME = /^[0-9a-f]{2}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Writes the bytes to `file` atomically (temporary file, fsync, rename), readable by the owner only. */
async function writeDurably(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomUUID()}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

function storageUnavailable(): DomainError {
  return new DomainError(ErrorType.Unavailable, {
    it: 'Archivio dei documenti non configurato (DOCUMENTS_DIR).',
    en: 'Document storage is not configured (DOCUMENTS_DIR).',
  });
}

export const documentNotFound = (): DomainError => new DomainError(ErrorType.NotFound, { it: 'Documento non trovato.', en: 'Document not found.' });

/** The document store over one directory; `documentsDir` undefined means uploads answer 503. */
/** Who looked at which citizen's document is part of the record: one audit row per read by staff. */
export async function recordDocumentRead(pool: Pool, staffId: string, doc: Pick<StoredDocument, 'documentId' | 'credentialId' | 'kind'>): Promise<void> {
  await audit(pool, {
    actor: `staff:${staffId}`,
    action: 'document_read',
    subject: doc.credentialId,
    decision: 'served',
    detail: { documentId: doc.documentId, kind: doc.kind },
  });
}

export function documentStore(deps: { pool: Pool; log: Logger; documentsDir?: string }) {
  const root = deps.documentsDir ? path.resolve(deps.documentsDir) : undefined;
  const dir = (): string => {
    if (!root) throw storageUnavailable();
    return root;
  };
  const fileOf = (storageName: string): string => {
    // Names are generated here, but a row is still data: never follow one out of the directory.
    if (!STORAGE_NAME.test(storageName)) throw new Error('malformed storage name');
    return path.join(dir(), storageName);
  };

  /**
   * Stores the bytes and the row (in `db`'s transaction when it is a client). The file is
   * written first; if the row cannot be inserted the file is removed. A caller whose later
   * statements roll the transaction back calls `discard(storageName)`.
   */
  async function store(
    db: Queryable,
    input: { credentialId: string; kind: DocumentKind; mediaType: UploadMediaType; bytes: Uint8Array; displayName: string; uploadedBy: string; documentId?: string },
  ): Promise<StoredDocument & { storageName: string }> {
    const documentId = input.documentId ?? randomUUID();
    const storageId = randomUUID();
    const storageName = `${storageId.slice(0, 2)}/${storageId}`;
    const file = fileOf(storageName);
    await writeDurably(file, input.bytes);
    try {
      await db.query(
        `INSERT INTO documents (id, credential_id, kind, media_type, size_bytes, sha256, storage_name, display_name, uploaded_by)
         VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::int, $6::bytea, $7::text, $8::text, $9::text)`,
        [
          documentId,
          input.credentialId,
          input.kind,
          input.mediaType,
          input.bytes.length,
          createHash('sha256').update(input.bytes).digest(),
          storageName,
          input.displayName,
          input.uploadedBy,
        ],
      );
    } catch (err) {
      await unlink(file).catch(() => undefined);
      throw err;
    }
    return {
      documentId,
      credentialId: input.credentialId,
      kind: input.kind,
      mediaType: input.mediaType,
      sizeBytes: input.bytes.length,
      displayName: input.displayName,
      storageName,
    };
  }

  return {
    /** Absolute directory of stored documents (for tests and operations). */
    get dir(): string {
      return dir();
    },

    /** Throws the 503 when no directory is configured, before any work is done. */
    assertConfigured(): void {
      dir();
    },

    store,

    /** Removes a stored file whose row was rolled back or deleted. */
    async discard(storageName: string): Promise<void> {
      await unlink(fileOf(storageName)).catch(() => undefined);
    },

    /**
     * Checks an upload and stores it, or quarantines it (file under `quarantine/`, a
     * `quarantined_uploads` row, an audit entry) and throws the 422 the citizen sees.
     * Refused uploads (413/415/400/422) store nothing at all.
     */
    async accept(
      raw: RawUpload,
      target: { credentialId: string; kind: DocumentKind; uploadedBy: string },
    ): Promise<StoredDocument & { storageName: string }> {
      const checked = checkUpload(raw);
      if (checked.verdict === 'quarantine') {
        const id = randomUUID();
        const storageName = `quarantine/${id}`;
        await writeDurably(path.join(dir(), 'quarantine', id), checked.bytes);
        const client = await deps.pool.connect();
        try {
          await client.query('BEGIN');
          await client.query(
            `INSERT INTO quarantined_uploads (id, credential_id, reason, size_bytes, sha256, storage_name, uploaded_by)
             VALUES ($1::uuid, $2::uuid, $3::text, $4::int, $5::bytea, $6::text, $7::text)`,
            [id, target.credentialId, checked.reason, checked.sizeBytes, checked.sha256, storageName, target.uploadedBy],
          );
          await appendAudit(client, {
            actor: target.uploadedBy,
            action: 'upload',
            subject: target.credentialId,
            decision: 'quarantined',
            detail: { quarantineId: id, reason: checked.reason, kind: target.kind, sizeBytes: checked.sizeBytes },
          });
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
        deps.log.warn({ quarantineId: id, credentialId: target.credentialId, reason: checked.reason }, 'upload quarantined');
        throw quarantinedError();
      }
      return store(deps.pool, {
        credentialId: target.credentialId,
        kind: target.kind,
        mediaType: checked.mediaType,
        bytes: checked.bytes,
        displayName: checked.displayName,
        uploadedBy: target.uploadedBy,
      });
    },

    /** True when every one of `documentIds` is attached to the case `caseId`. */
    async allAttached(documentIds: string[], caseId: string): Promise<boolean> {
      const { rows } = await deps.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM documents WHERE id = ANY($1::uuid[]) AND case_id = $2::uuid', [documentIds, caseId]);
      return rows[0]?.n === documentIds.length;
    },

    /** Deletes a document that was never attached to a case (its row and its file). */
    async removeUnattached(documentId: string): Promise<void> {
      const { rows } = await deps.pool.query<{ storage_name: string }>(
        'DELETE FROM documents WHERE id = $1::uuid AND case_id IS NULL RETURNING storage_name',
        [documentId],
      );
      if (rows[0]) await unlink(fileOf(rows[0].storage_name)).catch(() => undefined);
    },

    /**
     * A document's row and bytes. The bytes are checked against the stored SHA-256: a file
     * changed on disk is reported (500) rather than served as if it were the citizen's.
     */
    async read(where: { documentId: string } | { credentialId: string; kind: DocumentKind }): Promise<{ doc: StoredDocument; bytes: Buffer }> {
      const byId = 'documentId' in where;
      const { rows } = await deps.pool.query<{
        id: string;
        credential_id: string;
        kind: DocumentKind;
        media_type: UploadMediaType;
        size_bytes: number;
        sha256: Buffer;
        storage_name: string;
        display_name: string;
      }>(
        `SELECT id, credential_id, kind, media_type, size_bytes, sha256, storage_name, display_name FROM documents
          WHERE ${byId ? 'id = $1::uuid' : 'credential_id = $1::uuid AND kind = $2::text'}
          ORDER BY created_at DESC LIMIT 1`,
        byId ? [where.documentId] : [where.credentialId, where.kind],
      );
      const r = rows[0];
      if (!r) throw documentNotFound();
      const bytes = await readFile(fileOf(r.storage_name));
      if (!createHash('sha256').update(bytes).digest().equals(r.sha256)) {
        deps.log.error({ documentId: r.id }, 'stored document does not match its hash');
        throw new Error(`document ${r.id} does not match its stored hash`);
      }
      return {
        doc: { documentId: r.id, credentialId: r.credential_id, kind: r.kind, mediaType: r.media_type, sizeBytes: r.size_bytes, displayName: r.display_name },
        bytes,
      };
    },
  };
}
