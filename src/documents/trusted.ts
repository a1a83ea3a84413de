import type { DocumentCheckContext } from './check.js';
import { checkDocument } from './check.js';
import { type ManifestEntry, readManifests } from './manifest.js';

/**
 * The trusted documents of this BFF's SPAs: loaded once at start-up from their manifests,
 * each verified (id = sha256 of the text) and checked against the query limits. Anything
 * wrong stops start-up with every problem listed, naming the manifest and the document, so a
 * bad deploy fails on the BFF's side before an SPA page does.
 */

/** How trusted documents are configured (`TRUSTED_DOCUMENTS`, `ALLOW_FREE_FORM_DOCUMENTS`, `FREE_FORM_DOCUMENTS_PERMISSION`). */
export interface TrustedDocumentsConfig {
  /** Manifest files, relative to the working directory. */
  readonly manifests: readonly string[];
  /** Whether documents outside the manifests are executed (default: everywhere but production). */
  readonly allowFreeForm: boolean;
  /** A token permission whose holders may send free-form documents even when others may not. */
  readonly freeFormPermission: string | null;
}

/** Thrown at start-up with every problem of the manifests and their documents. */
export class TrustedDocumentsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Trusted documents refused:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TrustedDocumentsError';
  }
}

/** The loaded documents, by sha256 id. */
export class TrustedDocuments {
  private constructor(private readonly byId: ReadonlyMap<string, ManifestEntry>) {}

  /** No documents: every request is free-form (what a BFF without manifests sees). */
  static readonly none = new TrustedDocuments(new Map());

  /** Reads, verifies and checks every manifest; throws a `TrustedDocumentsError` listing all problems. */
  static load(manifests: readonly string[], context: DocumentCheckContext, cwd?: string): TrustedDocuments {
    if (manifests.length === 0) return TrustedDocuments.none;
    const { entries, problems } = readManifests(manifests, cwd);
    const byId = new Map<string, ManifestEntry>();
    for (const entry of entries) {
      if (byId.has(entry.id)) continue; // The same document in two SPAs' manifests.
      const report = checkDocument(entry.text, context);
      const name = report.operations.length > 0 ? ` (${report.operations.join(', ')})` : '';
      for (const problem of report.problems) problems.push(`${entry.file}: ${entry.key}${name}: ${problem}`);
      byId.set(entry.id, entry);
    }
    if (problems.length > 0) throw new TrustedDocumentsError(problems);
    return new TrustedDocuments(byId);
  }

  /** How many distinct documents are trusted. */
  get size(): number {
    return this.byId.size;
  }

  /** The text of the document with sha256 `id` (lower-case hex), if trusted. */
  text(id: string): string | undefined {
    return this.byId.get(id)?.text;
  }
}
