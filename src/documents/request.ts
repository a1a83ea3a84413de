import { PersistedQueryNotFoundError, PersistedQueryNotInListError } from '../errors.js';
import type { Logger } from '../log.js';
import { documentHash, parseDocumentId } from './manifest.js';
import type { TrustedDocuments, TrustedDocumentsConfig } from './trusted.js';

/**
 * Trusted documents on the request path, in two steps. The front door (`prepareDocumentRequest`,
 * before Apollo reads the request) turns a document id into the document's text and classifies
 * the request; once the caller is authenticated, `documentGate` refuses what this caller may not
 * send. Apollo Server itself never sees a document id (its own APQ support stays off).
 *
 * Ids arrive as `documentId` (GraphQL over HTTP persisted documents, what the client preset
 * sends) or as Apollo's APQ `extensions.persistedQuery.sha256Hash`, in a POST body or a GET
 * query string; `sha256:<hex>` and `<hex>` name the same document.
 */

/** What the front door learnt about the document of a request. */
export type DocumentAdmission =
  /** A document from the manifests: by id, or as text identical to one. */
  | { readonly kind: 'trusted'; readonly id: string }
  /** Text that is not a trusted document (with its id when the client sent one). */
  | { readonly kind: 'free-form'; readonly id?: string }
  /** An id naming no trusted document, and no text. */
  | { readonly kind: 'unknown'; readonly id: string; readonly shape: 'apq' | 'document-id' }
  /** No document at all: Apollo answers that request itself. */
  | { readonly kind: 'none' };

/** The parts of an HTTP request that can carry a document. */
export interface DocumentRequest {
  readonly method: string;
  /** The parsed JSON body of a POST (undefined otherwise). */
  readonly body: unknown;
  /** The query string, with its leading `?` (or empty). */
  readonly search: string;
}

/** The request as Apollo should read it, or a refusal (HTTP 400, BAD_REQUEST) of a malformed one. */
export type PreparedRequest =
  | { readonly refused: string }
  | { readonly body: unknown; readonly search: string; readonly admission: DocumentAdmission };

const NONE: DocumentAdmission = { kind: 'none' };

/** Resolves a request's document id against `documents`; see the module comment. */
export function prepareDocumentRequest(request: DocumentRequest, documents: TrustedDocuments): PreparedRequest {
  const get = request.method === 'GET';
  const params = new URLSearchParams(request.search);
  const body = isRecord(request.body) ? request.body : undefined;
  if (!get && body === undefined) return { body: request.body, search: request.search, admission: NONE };

  const query = get ? params.get('query') : body!.query;
  const documentId = get ? params.get('documentId') : body!.documentId;
  const extensions = get ? parseJson(params.get('extensions')) : body!.extensions;
  const persisted = isRecord(extensions) ? extensions.persistedQuery : undefined;

  if (documentId !== undefined && documentId !== null && typeof documentId !== 'string') return { refused: 'documentId must be a string.' };
  if (persisted !== undefined && (!isRecord(persisted) || persisted.version !== 1 || typeof persisted.sha256Hash !== 'string')) {
    return { refused: 'extensions.persistedQuery must be { "version": 1, "sha256Hash": "<sha256 of the query>" }.' };
  }
  const apqId = isRecord(persisted) ? String(persisted.sha256Hash) : undefined;
  const givenId = typeof documentId === 'string' ? documentId : undefined;
  if (givenId !== undefined && apqId !== undefined && parseDocumentId(givenId) !== parseDocumentId(apqId)) {
    return { refused: 'documentId and extensions.persistedQuery.sha256Hash name different documents.' };
  }
  const rawId = givenId ?? apqId;
  const text = typeof query === 'string' && query !== '' ? query : undefined;

  if (rawId === undefined) {
    if (text === undefined) return { body: request.body, search: request.search, admission: NONE };
    // Text identical to a trusted document is that document (hashed only when there are any).
    const hash = documents.size > 0 ? documentHash(text) : '';
    const admission: DocumentAdmission = documents.text(hash) !== undefined ? { kind: 'trusted', id: hash } : { kind: 'free-form' };
    return { body: request.body, search: request.search, admission };
  }

  const id = parseDocumentId(rawId);
  if (text !== undefined) {
    // Both an id and the text: they must agree, or one of them is a lie.
    if (id === null || documentHash(text) !== id)
      return { refused: 'The query does not match its document id (the sha256 of the query text).' };
    const admission: DocumentAdmission = documents.text(id) !== undefined ? { kind: 'trusted', id } : { kind: 'free-form', id };
    return { ...rewrite(request, params, body, get, text), admission };
  }
  const trusted = id === null ? undefined : documents.text(id);
  if (trusted === undefined) {
    return {
      body: request.body,
      search: request.search,
      admission: { kind: 'unknown', id: rawId, shape: givenId === undefined ? 'apq' : 'document-id' },
    };
  }
  return { ...rewrite(request, params, body, get, trusted), admission: { kind: 'trusted', id: id! } };
}

/**
 * Refuses, after authentication, what this caller may not send: an unknown id
 * (PERSISTED_QUERY_NOT_FOUND), or a free-form document where only trusted documents are
 * accepted and the caller lacks the permission that would allow it (PERSISTED_QUERY_NOT_IN_LIST).
 */
export function documentGate(config: TrustedDocumentsConfig, log: Logger) {
  return (
    admission: DocumentAdmission,
    caller: { readonly subject: string; readonly clientId: string | null; readonly permissions: ReadonlySet<string> },
  ): void => {
    if (admission.kind === 'unknown') throw new PersistedQueryNotFoundError(admission.shape);
    if (admission.kind !== 'free-form' || config.allowFreeForm) return;
    if (config.freeFormPermission !== null && caller.permissions.has(config.freeFormPermission)) return;
    // One line per refusal: an SPA sending documents its manifest lacks is a deploy problem to see.
    log.warn('documents.free_form_refused', { subject: caller.subject, clientId: caller.clientId, documentId: admission.id ?? null });
    throw new PersistedQueryNotInListError();
  };
}

// The request with the document's text in place of its id, so Apollo reads an ordinary request.
function rewrite(
  request: DocumentRequest,
  params: URLSearchParams,
  body: Record<string, unknown> | undefined,
  get: boolean,
  text: string,
): { body: unknown; search: string } {
  if (get) {
    params.set('query', text);
    params.delete('documentId');
    const extensions = withoutPersisted(parseJson(params.get('extensions')));
    if (extensions === undefined) params.delete('extensions');
    else params.set('extensions', JSON.stringify(extensions));
    return { body: request.body, search: `?${params}` };
  }
  const { documentId: _id, extensions, ...rest } = body!;
  const kept = withoutPersisted(extensions);
  return { body: { ...rest, query: text, ...(kept === undefined ? {} : { extensions: kept }) }, search: request.search };
}

function withoutPersisted(extensions: unknown): Record<string, unknown> | undefined {
  if (!isRecord(extensions)) return undefined;
  const { persistedQuery: _pq, ...rest } = extensions;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(value: string | null): unknown {
  if (value === null) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    // Apollo refuses a malformed `extensions` parameter itself.
    return undefined;
  }
}
