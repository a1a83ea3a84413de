import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { type DefinitionNode, type FragmentDefinitionNode, Kind, type OperationDefinitionNode, parse, print, visit } from 'graphql';
import { ConfigError, loadConfig } from '../src/config.js';
import { checkDocument, type DocumentReport } from '../src/documents/check.js';
import { readManifests } from '../src/documents/manifest.js';
import { queryProtection } from '../src/limits/query-shape.js';
import { createSchema } from '../src/schema.js';

/**
 * `npm run check-operations -- [file or directory ...]`: reports each document's depth, aliases,
 * directives, tokens and estimated cost (for any variables a client could send)
 * against the limits configured in the environment, exactly as the server would check it, and
 * exits 1 when one would be refused. Reads persisted-documents manifests (.json, as the client
 * preset writes them) and .graphql/.gql files (each operation with the fragments it spreads,
 * from any file given). Without arguments it reads the manifests of TRUSTED_DOCUMENTS.
 */

interface Candidate {
  readonly label: string;
  readonly text: string | null;
  readonly problems: readonly string[];
}

function main(args: readonly string[]): number {
  if (args.includes('--help') || args.includes('-h')) return usage();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const inputs = args.length > 0 ? args : config.trustedDocuments.manifests;
  if (inputs.length === 0) return usage('no documents: pass files or directories, or set TRUSTED_DOCUMENTS');
  const files = inputs.flatMap(expand);
  const candidates = [
    ...fromManifests(files.filter((f) => extname(f) === '.json')),
    ...fromGraphQL(files.filter((f) => extname(f) !== '.json')),
  ];

  const limits = config.queryLimits;
  const context = {
    schema: createSchema(),
    limits,
    maxPageSize: config.maxPageSize,
    protection: queryProtection(limits, { production: config.production }),
  };
  const rows: string[][] = [['document', 'depth', 'aliases', 'directives', 'tokens', 'cost', 'verdict']];
  let refused = 0;
  const details: string[] = [];
  for (const candidate of candidates) {
    const report: DocumentReport | null = candidate.text === null ? null : checkDocument(candidate.text, context);
    const problems = [...candidate.problems, ...(report?.problems ?? [])];
    if (problems.length > 0) refused++;
    const m = report?.measures;
    rows.push([
      candidate.label,
      m ? `${m.depth}/${limits.maxDepth}` : '-',
      m ? `${m.aliases}/${limits.maxAliases}` : '-',
      m ? `${m.directives}/${limits.maxDirectives}` : '-',
      m ? `${m.tokens}/${limits.maxTokens}` : '-',
      report?.cost == null ? '-' : `${report.cost}`,
      problems.length === 0 ? 'ok' : 'REFUSED',
    ]);
    for (const problem of problems) details.push(`  ${candidate.label}: ${problem}`);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '),
  );
  process.stdout.write(
    [
      `Limits (${config.production ? 'production' : config.env}, from the environment): depth ${limits.maxDepth}, aliases ${limits.maxAliases}, directives ${limits.maxDirectives}, tokens ${limits.maxTokens}, cost ${limits.maxCost}, objects ${limits.maxObjects} (estimated for any variables: pages at MAX_PAGE_SIZE ${config.maxPageSize})`,
      '',
      ...lines,
      '',
      ...(details.length > 0 ? ['Refused:', ...details, ''] : []),
      `${candidates.length} document(s), ${refused} refused.`,
      '',
    ].join('\n'),
  );
  return refused > 0 ? 1 : 0;
}

/** A path, or every .json/.graphql/.gql file below a directory. */
function expand(path: string): string[] {
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(json|graphql|gql)$/.test(file))
    .sort()
    .map((file) => join(path, file));
}

function fromManifests(files: readonly string[]): Candidate[] {
  const candidates: Candidate[] = [];
  for (const file of files) {
    const { entries, problems } = readManifests([file]);
    for (const problem of problems) candidates.push({ label: basename(file), text: null, problems: [problem] });
    for (const entry of entries)
      candidates.push({ label: `${operationNames(entry.text)} (${basename(file)})`, text: entry.text, problems: [] });
  }
  return candidates;
}

// Each operation of the .graphql files, printed with the fragments it spreads (transitively),
// as the client preset builds a document from an operation and the fragments it uses.
function fromGraphQL(files: readonly string[]): Candidate[] {
  const operations: { node: OperationDefinitionNode; file: string }[] = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  const candidates: Candidate[] = [];
  for (const file of files) {
    let definitions: readonly DefinitionNode[];
    try {
      definitions = parse(readFileSync(file, 'utf8')).definitions;
    } catch (error) {
      candidates.push({ label: basename(file), text: null, problems: [error instanceof Error ? error.message : String(error)] });
      continue;
    }
    for (const definition of definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) operations.push({ node: definition, file });
      else if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
  }
  for (const { node, file } of operations) {
    const used = new Map<string, FragmentDefinitionNode>();
    const collect = (definition: DefinitionNode) =>
      visit(definition, {
        FragmentSpread(spread) {
          const fragment = fragments.get(spread.name.value);
          if (fragment && !used.has(fragment.name.value)) {
            used.set(fragment.name.value, fragment);
            collect(fragment);
          }
        },
      });
    collect(node);
    const text = print({ kind: Kind.DOCUMENT, definitions: [node, ...used.values()] });
    candidates.push({ label: `${node.name?.value ?? '(anonymous)'} (${basename(file)})`, text, problems: [] });
  }
  return candidates;
}

function operationNames(text: string): string {
  try {
    const names = parse(text).definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(anonymous)'] : []));
    return names.join(', ') || '(no operation)';
  } catch {
    return '(unparsable)';
  }
}

function usage(problem?: string): number {
  process.stderr.write(
    `${problem ? `check-operations: ${problem}\n` : ''}usage: npm run check-operations -- [file or directory ...]\n` +
      '  .json: a persisted-documents manifest (client preset or Apollo format); .graphql/.gql: operations and fragments.\n' +
      '  Without arguments: the manifests of TRUSTED_DOCUMENTS. Limits come from the environment (see .env.example).\n',
  );
  return 2;
}

process.exitCode = main(process.argv.slice(2));
