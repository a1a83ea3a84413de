import {
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  Lexer,
  type SelectionSetNode,
  Source,
  TokenKind,
} from 'graphql';

/**
 * What a document measures against the query limits, counted the way the server's validation
 * rules count (graphql-armor with fragments flattened; graphql-js's token counter), so a report
 * can say "depth 12, limit 10" where the server only says "nested too deeply". Fragments are
 * expanded where they are spread, as often as they are spread.
 */
export interface DocumentMeasures {
  /** Deepest nesting of fields; fragment spreads and inline fragments add no level. */
  readonly depth: number;
  /** Aliased fields. */
  readonly aliases: number;
  /** Directives, on the operation, its selections and the fragments it spreads. */
  readonly directives: number;
  /** Lexical tokens of the whole document (comments excluded), as `maxTokens` counts them. */
  readonly tokens: number;
}

/** Measures the largest operation of `document` (limits apply per operation); tokens count the whole text. */
export function measureDocument(document: DocumentNode, text: string): DocumentMeasures {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  let depth = 0;
  let aliases = 0;
  let directives = 0;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const counted = count(definition, fragments);
    depth = Math.max(depth, depthOf(definition.selectionSet, fragments, new Set()));
    aliases = Math.max(aliases, counted.aliases);
    directives = Math.max(directives, counted.directives);
  }
  return { depth, aliases, directives, tokens: countTokens(text) };
}

/** Lexical tokens of `text`, or the number read before the first lexical error. */
export function countTokens(text: string): number {
  const lexer = new Lexer(new Source(text));
  let tokens = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) tokens++;
  } catch {
    // A lexical error ends the count; parsing reports the error itself.
  }
  return tokens;
}

function depthOf(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen: ReadonlySet<string>,
): number {
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    let depth = 0;
    if (selection.kind === Kind.FIELD) depth = 1 + (selection.selectionSet ? depthOf(selection.selectionSet, fragments, seen) : 0);
    else if (selection.kind === Kind.INLINE_FRAGMENT) depth = depthOf(selection.selectionSet, fragments, seen);
    else {
      const fragment = fragments.get(selection.name.value);
      // A cycle is refused by validation; here it just stops the walk.
      if (fragment && !seen.has(fragment.name.value))
        depth = depthOf(fragment.selectionSet, fragments, new Set([...seen, fragment.name.value]));
    }
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

function count(
  definition: DefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): { aliases: number; directives: number } {
  let aliases = 0;
  let directives = 0;
  const visit = (
    node: { readonly directives?: readonly unknown[] },
    selectionSet: SelectionSetNode | undefined,
    seen: ReadonlySet<string>,
  ) => {
    directives += node.directives?.length ?? 0;
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases++;
        visit(selection, selection.selectionSet, seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection, selection.selectionSet, seen);
      } else {
        directives += selection.directives?.length ?? 0;
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) visit(fragment, fragment.selectionSet, new Set([...seen, fragment.name.value]));
      }
    }
  };
  if (definition.kind === Kind.OPERATION_DEFINITION) visit(definition, definition.selectionSet, new Set());
  return { aliases, directives };
}
