import {
  DirectiveLocation,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLDirective,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * A static cost model: what executing an operation will do, computed from the validated
 * document, the coerced variables and the schema's `@cost`/`@listSize` directives (IBM
 * GraphQL Cost Directives; declared in schema/directives.graphql), before any resolver runs.
 *
 * Two numbers:
 * - `objects`: field values the response can hold, i.e. every selected field times the
 *   product of the sizes of the lists around it. Lists never hold more than their declared
 *   size (a page size after clamping, or an `assumedSize`), so this also bounds resolver
 *   calls, hence upstream lookups.
 * - `cost`: the same walk, weighted: every value of a type costs the type's weight (objects 1,
 *   scalars and enums 0 unless the type has `@cost`), every resolution of a field adds the
 *   field's `@cost` (this schema puts 1 on resolvers that ask an upstream for a record), and
 *   arguments and input fields with `@cost` add theirs when given.
 *
 * The walk follows graphql-js's execution: fragments (named and inline) are expanded, type
 * conditions and `@skip`/`@include` are applied with the variables, a named fragment spread
 * twice at the same level is executed (and counted) once, and a leaf field selected twice
 * under one response key is counted once. Composite fields selected twice under one key are
 * counted twice (graphql-js merges them): merging exactly can take more than linear time on
 * hostile documents, and summing keeps the estimate an upper bound.
 *
 * Linear time: the cost of a selection set (fragments included) per single parent value is
 * computed once per (selection set, concrete type) and multiplied by the enclosing list sizes
 * afterwards, so a fragment spread N times, or a chain of fragments each spreading the next
 * twice, is walked once. Arithmetic saturates at Number.MAX_SAFE_INTEGER: a hostile document
 * reaches 2^53 within a few levels, and must compare as "too big", never as NaN or Infinity.
 */

/** Largest number an estimate holds; larger products stay here (and set `saturated`). */
export const COST_CEILING = Number.MAX_SAFE_INTEGER;

/** Inputs of an estimate that are not in the document or the schema. */
export interface CostOptions {
  /** The server's maximum page size (`MAX_PAGE_SIZE`): slicing arguments are clamped to it, as the resolvers do. */
  readonly maxPageSize: number;
  /** How many of the costliest paths to report (default 3). */
  readonly paths?: number;
  /**
   * Estimate for any variables a client could send, not for one request's: every `Int`
   * variable counts as the largest page, every `@skip`/`@include` as included. For documents
   * checked ahead of time (trusted documents, `npm run check-operations`).
   */
  readonly worstCase?: boolean;
  /**
   * Fields this request cannot read, whatever object they are read on (see `deniedUpfront`):
   * counted as one null value, their subtree left out. For deciding where a request executes,
   * never for refusing one (the limits hold for every caller alike).
   */
  readonly skip?: (typeName: string, fieldName: string) => boolean;
}

/** One place where an operation's cost concentrates, for error messages. */
export interface CostPath {
  /** Response keys from the root, `alias:field` where aliased, e.g. `a1:viewer.customer.users`. */
  readonly path: string;
  /** Field values produced at and below this path, over all enclosing list items. */
  readonly objects: number;
  /** Weighted cost at and below this path. */
  readonly cost: number;
}

/** What an operation will cost. */
export interface CostEstimate {
  /** Upper bound of the field values of the response (and of resolver calls). */
  readonly objects: number;
  /** Weighted sum per the schema's cost directives. */
  readonly cost: number;
  /** True when a number reached COST_CEILING: the real value is at least that. */
  readonly saturated: boolean;
  /** The costliest paths, costliest first. */
  readonly paths: readonly CostPath[];
  /** Selections visited: linear in the document size (tests assert it), whatever the fragments. */
  readonly work: number;
}

/**
 * Estimates `operation` of `document` with the raw request `variables`. Returns undefined
 * when the variables do not coerce (execution reports that) or the operation type has no
 * root. Throws when the schema is not annotated for cost analysis (see `costAnnotationProblems`).
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  options: CostOptions,
): CostEstimate | undefined {
  const { maxPageSize } = options;
  if (!Number.isSafeInteger(maxPageSize) || maxPageSize < 1)
    throw new RangeError(`maxPageSize must be an integer >= 1, got ${maxPageSize}`);
  const info = schemaInfo(schema);
  if (info.problems.length > 0) throw new TypeError(`schema is not annotated for cost analysis: ${info.problems.join('; ')}`);
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return undefined;
  let values: Record<string, unknown>;
  if (options.worstCase) {
    values = worstCaseVariables(operation, maxPageSize);
  } else {
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
    if (coerced.errors) return undefined;
    values = coerced.coerced;
  }

  const walker = new Walker(schema, info, document, values, maxPageSize, options.worstCase === true, options.skip);
  let root: Unit;
  try {
    root = walker.unitOf(operation.selectionSet, rootType, null);
  } catch (error) {
    // Only a document nested deeper than the stack gets here; it is too big by any measure.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      return { objects: COST_CEILING, cost: COST_CEILING, saturated: true, paths: [], work: walker.work };
    }
    throw error;
  }
  return {
    objects: root.objects,
    cost: root.cost,
    saturated: root.objects >= COST_CEILING || root.cost >= COST_CEILING,
    paths: costliestPaths(root, options.paths ?? 3),
    work: walker.work,
  };
}

/**
 * What is wrong with the schema's cost annotations: list fields without a size, sizes or
 * weights that are not numbers, `@listSize` on a field it cannot apply to. Empty when the
 * schema can be estimated; the plugin refuses to start otherwise.
 */
export function costAnnotationProblems(schema: GraphQLSchema): readonly string[] {
  return schemaInfo(schema).problems;
}

// ---------------------------------------------------------------------------------------
// Saturating arithmetic. Inputs are finite and >= 0 (weights are checked, sizes clamped).

function add(a: number, b: number): number {
  const sum = a + b;
  return Math.min(sum, COST_CEILING);
}

function mul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  const product = a * b;
  return Math.min(product, COST_CEILING);
}

function pow(base: number, exponent: number): number {
  let result = 1;
  for (let i = 0; i < exponent; i++) result = mul(result, base);
  return result;
}

// ---------------------------------------------------------------------------------------
// The schema's annotations, read once per schema.

interface ListSizeSpec {
  readonly assumedSize: number | undefined;
  readonly slicingArguments: readonly string[];
  readonly sizedFields: readonly string[];
}

interface FieldInfo {
  /** `@cost` of the field: added once per resolution. */
  readonly weight: number;
  /** Arguments with a `@cost` or taking input objects with weighted fields, and their types. */
  readonly weightedArgs: readonly { readonly name: string; readonly weight: number; readonly type: GraphQLInputType }[];
  /** Nesting of list wrappers: 0 for a non-list field. */
  readonly listDepth: number;
  /** The field's own `@listSize`, if any. */
  readonly listSize: ListSizeSpec | undefined;
  /** Size of an introspection list, derived from the schema itself. */
  readonly introspectionSize: number | undefined;
  /** Names of `sizedFields` as a memo key suffix; empty when the field sizes no child. */
  readonly sizedKey: string;
  /** The `sizedFields`, or null. */
  readonly sized: ReadonlySet<string> | null;
}

interface SchemaInfo {
  readonly problems: readonly string[];
  readonly fields: Map<GraphQLField<unknown, unknown>, FieldInfo>;
  /** `@cost` of object, scalar and enum types (per value), by type name. */
  readonly typeWeights: Map<string, number>;
  /** `@cost` of input fields (per appearance in an argument value), by `Type.field`. */
  readonly inputFieldWeights: Map<string, number>;
}

const SCHEMA_INFO = new WeakMap<GraphQLSchema, SchemaInfo>();

function schemaInfo(schema: GraphQLSchema): SchemaInfo {
  let info = SCHEMA_INFO.get(schema);
  if (!info) {
    info = readSchema(schema);
    SCHEMA_INFO.set(schema, info);
  }
  return info;
}

function directiveArgs(directive: GraphQLDirective | undefined | null, node: { readonly astNode?: ASTNode | null | undefined }) {
  if (!directive || !node.astNode || !('directives' in node.astNode)) return undefined;
  return getDirectiveValues(directive, node.astNode);
}

function readSchema(schema: GraphQLSchema): SchemaInfo {
  const problems: string[] = [];
  const costDirective = schema.getDirective('cost');
  const listSizeDirective = schema.getDirective('listSize');
  if (!costDirective) problems.push('the @cost directive is not declared');
  if (!listSizeDirective) problems.push('the @listSize directive is not declared');

  const weightOf = (where: string, node: { readonly astNode?: ASTNode | null | undefined }): number | undefined => {
    const args = directiveArgs(costDirective, node);
    if (!args) return undefined;
    const weight = Number(args.weight);
    if (typeof args.weight !== 'string' || args.weight.trim() === '' || !Number.isFinite(weight) || weight < 0) {
      problems.push(`${where}: @cost(weight: ${JSON.stringify(args.weight)}) is not a number >= 0`);
      return 0;
    }
    return weight;
  };

  const typeWeights = new Map<string, number>();
  const inputFieldWeights = new Map<string, number>();
  const types = Object.values(schema.getTypeMap());
  for (const type of types) {
    if (isObjectType(type) || isScalarType(type) || isEnumType(type)) {
      const weight = weightOf(type.name, type);
      if (weight !== undefined) typeWeights.set(type.name, weight);
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        const weight = weightOf(`${type.name}.${field.name}`, field);
        if (weight !== undefined) inputFieldWeights.set(`${type.name}.${field.name}`, weight);
      }
    }
  }

  const introspectionSizes = introspectionListSizes(schema);
  const fields = new Map<GraphQLField<unknown, unknown>, FieldInfo>();
  const containers = types.filter((type) => isObjectType(type) || isInterfaceType(type));
  for (const type of containers) {
    for (const field of Object.values(type.getFields())) {
      const where = `${type.name}.${field.name}`;
      const listSize = readListSize(where, field, directiveArgs(listSizeDirective, field), problems);
      // An argument weighs if it has a @cost, or if its value can hold weighted input fields.
      const weightedArgs = field.args.flatMap((arg) => {
        const weight = weightOf(`${where}(${arg.name}:)`, arg);
        const holdsInput = inputFieldWeights.size > 0 && isInputObjectType(getNamedType(arg.type));
        return weight === undefined && !holdsInput ? [] : [{ name: arg.name, weight: weight ?? 0, type: arg.type }];
      });
      const sized = listSize && listSize.sizedFields.length > 0 ? new Set(listSize.sizedFields) : null;
      fields.set(field, {
        weight: weightOf(where, field) ?? 0,
        weightedArgs,
        listDepth: listDepth(field.type),
        listSize,
        introspectionSize: isIntrospectionType(type) ? (introspectionSizes.get(where) ?? introspectionSizes.get('*')) : undefined,
        sizedKey: sized ? [...sized].sort().join(',') : '',
        sized,
      });
    }
  }
  problems.push(...unsizedLists(schema, fields));
  return { problems, fields, typeWeights, inputFieldWeights };
}

function listDepth(type: GraphQLField<unknown, unknown>['type']): number {
  let depth = 0;
  for (let t = getNullableType(type); isListType(t); t = getNullableType(t.ofType)) depth++;
  return depth;
}

function readListSize(
  where: string,
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown> | undefined,
  problems: string[],
): ListSizeSpec | undefined {
  if (!args) return undefined;
  const assumedSize = args.assumedSize;
  const slicingArguments = (args.slicingArguments as string[] | undefined) ?? [];
  const sizedFields = (args.sizedFields as string[] | undefined) ?? [];
  if (assumedSize !== undefined && assumedSize !== null && (typeof assumedSize !== 'number' || assumedSize < 0)) {
    problems.push(`${where}: @listSize(assumedSize:) must be >= 0`);
  }
  for (const name of slicingArguments) {
    const arg = field.args.find((a) => a.name === name);
    const type = arg ? getNullableType(arg.type) : undefined;
    if (!isScalarType(type) || type.name !== 'Int')
      problems.push(`${where}: slicing argument "${name}" is not an Int argument of the field`);
  }
  const returned = getNamedType(field.type);
  for (const name of sizedFields) {
    const child = isObjectType(returned) || isInterfaceType(returned) ? returned.getFields()[name] : undefined;
    if (!child || listDepth(child.type) !== 1)
      problems.push(`${where}: sized field "${name}" is not a list (one level) of ${returned.name}`);
  }
  if (listDepth(field.type) === 0 && sizedFields.length === 0)
    problems.push(`${where}: @listSize on a field that is not a list and sizes no field`);
  if (sizedFields.length > 0 && slicingArguments.length === 0) problems.push(`${where}: sizedFields without slicingArguments`);
  if (listDepth(field.type) > 0 && assumedSize == null && slicingArguments.length === 0) {
    problems.push(`${where}: @listSize gives neither assumedSize nor slicingArguments`);
  }
  return { assumedSize: typeof assumedSize === 'number' ? assumedSize : undefined, slicingArguments, sizedFields };
}

/**
 * List fields with no size: no `@listSize` of their own, and not sized by every field that
 * returns their type. Introspection lists are sized from the schema and never reported.
 */
function unsizedLists(schema: GraphQLSchema, fields: Map<GraphQLField<unknown, unknown>, FieldInfo>): string[] {
  const returning = new Map<string, FieldInfo[]>();
  for (const [field, info] of fields) {
    const named = getNamedType(field.type);
    const targets = isAbstractType(named) ? schema.getPossibleTypes(named) : [named];
    for (const target of targets) {
      const list = returning.get(target.name) ?? [];
      list.push(info);
      returning.set(target.name, list);
    }
  }
  const problems: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(isObjectType(type) || isInterfaceType(type)) || isIntrospectionType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const info = fields.get(field);
      if (!info || info.listDepth === 0 || info.listSize) continue;
      const parents = returning.get(type.name) ?? [];
      const sizedByParents = parents.length > 0 && parents.every((parent) => parent.sized?.has(field.name) === true);
      if (!sizedByParents)
        problems.push(`${type.name}.${field.name}: list without @listSize (and not a sized field of every field returning ${type.name})`);
    }
  }
  return problems;
}

/**
 * Introspection lists sized by what the schema can answer: as many types as it has, as many
 * fields as its largest type, and so on. Each is an exact upper bound of one list; their
 * product (types x fields) over-counts a full introspection query, which is the price of a
 * bound that nested introspection (`fields { type { fields ... } }`) cannot escape.
 */
function introspectionListSizes(schema: GraphQLSchema): Map<string, number> {
  const types = Object.values(schema.getTypeMap());
  let fields = 0;
  let interfaces = 0;
  let possibleTypes = 0;
  let enumValues = 0;
  let inputFields = 0;
  let args = 0;
  for (const type of types) {
    if (isObjectType(type) || isInterfaceType(type)) {
      const own = Object.values(type.getFields());
      fields = Math.max(fields, own.length);
      interfaces = Math.max(interfaces, type.getInterfaces().length);
      for (const field of own) args = Math.max(args, field.args.length);
    }
    if (isAbstractType(type)) possibleTypes = Math.max(possibleTypes, schema.getPossibleTypes(type).length);
    if (isEnumType(type)) enumValues = Math.max(enumValues, type.getValues().length);
    if (isInputObjectType(type)) inputFields = Math.max(inputFields, Object.keys(type.getFields()).length);
  }
  const directives = schema.getDirectives();
  for (const directive of directives) args = Math.max(args, directive.args.length);
  const sizes = new Map<string, number>([
    ['__Schema.types', types.length],
    ['__Schema.directives', directives.length],
    ['__Type.fields', fields],
    ['__Type.interfaces', interfaces],
    ['__Type.possibleTypes', possibleTypes],
    ['__Type.enumValues', enumValues],
    ['__Type.inputFields', inputFields],
    ['__Field.args', args],
    ['__Directive.args', args],
    ['__Directive.locations', Object.keys(DirectiveLocation).length],
  ]);
  // A list a later graphql-js adds to introspection: as large as the largest one we know.
  sizes.set('*', Math.max(...sizes.values()));
  return sizes;
}

// ---------------------------------------------------------------------------------------
// The walk.

/**
 * The cost of a selection set for ONE value of its parent type. Fields named in the parent's
 * `sizedFields` have a size only known at the parent (its slicing argument): their per-item
 * part is kept apart (`perSlice*`), so the unit does not depend on that size and is computed
 * once whatever page sizes it is used with.
 */
interface Unit {
  objects: number;
  cost: number;
  perSliceObjects: number;
  perSliceCost: number;
  readonly entries: Entry[];
  readonly spreads: Unit[];
}

/** One selected field, as the costliest-path search needs it. */
interface Entry {
  readonly label: string;
  /** Size from the parent's slicing argument (a sized field) rather than its own. */
  readonly fromSlice: boolean;
  /** Items per resolution when not `fromSlice` (1 for a non-list). */
  readonly multiplier: number;
  /** The field itself: one value, its field and argument weights. */
  readonly ownObjects: number;
  readonly ownCost: number;
  /** One item of the list (or the single value): the type's weight plus its selection. */
  readonly itemObjects: number;
  readonly itemCost: number;
  readonly child: Unit | null;
  /** Slicing size the child's sized fields take. */
  readonly childSlice: number;
}

const EMPTY_UNIT: Unit = { objects: 0, cost: 0, perSliceObjects: 0, perSliceCost: 0, entries: [], spreads: [] };

function evaluate(unit: Unit, slice: number): { objects: number; cost: number } {
  return { objects: add(unit.objects, mul(slice, unit.perSliceObjects)), cost: add(unit.cost, mul(slice, unit.perSliceCost)) };
}

class Walker {
  work = 0;
  private readonly memo = new Map<SelectionSetNode, Map<string, Unit | 'pending'>>();
  private readonly fragments = new Map<string, FragmentDefinitionNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly info: SchemaInfo,
    document: DocumentNode,
    private readonly variables: Record<string, unknown>,
    private readonly maxPageSize: number,
    private readonly worstCase: boolean,
    private readonly skip?: (typeName: string, fieldName: string) => boolean,
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    }
  }

  /** The unit of `selectionSet` on one value of `type`, memoised; `parent` is the field when it sizes children. */
  unitOf(selectionSet: SelectionSetNode, type: GraphQLObjectType, parent: FieldInfo | null): Unit {
    let byKey = this.memo.get(selectionSet);
    if (!byKey) {
      byKey = new Map();
      this.memo.set(selectionSet, byKey);
    }
    const key = parent ? `${type.name}|${parent.sizedKey}` : type.name;
    const known = byKey.get(key);
    // 'pending' is a fragment cycle; validation refuses those, but this function stands alone.
    if (known === 'pending') return EMPTY_UNIT;
    if (known) return known;
    byKey.set(key, 'pending');
    const unit: Unit = { objects: 0, cost: 0, perSliceObjects: 0, perSliceCost: 0, entries: [], spreads: [] };
    this.collect(selectionSet, type, parent, unit, new Set(), new Set());
    byKey.set(key, unit);
    return unit;
  }

  /** Adds the selections of one level into `unit`, through inline fragments and spreads, as collectFields does. */
  private collect(
    selectionSet: SelectionSetNode,
    type: GraphQLObjectType,
    parent: FieldInfo | null,
    unit: Unit,
    visitedFragments: Set<string>,
    leafKeys: Set<string>,
  ): void {
    for (const selection of selectionSet.selections) {
      this.work++;
      if (!this.included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        this.field(selection, type, parent?.sized ?? null, unit, leafKeys);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (selection.typeCondition && !this.applies(selection.typeCondition.name.value, type)) continue;
        this.collect(selection.selectionSet, type, parent, unit, visitedFragments, leafKeys);
      } else {
        const name = selection.name.value;
        if (visitedFragments.has(name)) continue;
        visitedFragments.add(name);
        const fragment = this.fragments.get(name);
        if (!fragment || !this.applies(fragment.typeCondition.name.value, type)) continue;
        const spread = this.unitOf(fragment.selectionSet, type, parent);
        unit.objects = add(unit.objects, spread.objects);
        unit.cost = add(unit.cost, spread.cost);
        unit.perSliceObjects = add(unit.perSliceObjects, spread.perSliceObjects);
        unit.perSliceCost = add(unit.perSliceCost, spread.perSliceCost);
        unit.spreads.push(spread);
      }
    }
  }

  private field(node: FieldNode, type: GraphQLObjectType, sized: ReadonlySet<string> | null, unit: Unit, leafKeys: Set<string>): void {
    const name = node.name.value;
    const key = node.alias?.value ?? name;
    if (name === '__typename') {
      if (leafKeys.has(key)) return;
      leafKeys.add(key);
      unit.objects = add(unit.objects, 1);
      return;
    }
    const def = this.fieldDef(type, name);
    if (!def) return; // validation refuses unknown fields; execution would skip it
    const info = this.fieldInfo(def);
    const named = getNamedType(def.type);
    const leaf = isLeafType(named) || !node.selectionSet;
    if (leaf) {
      if (leafKeys.has(key)) return;
      leafKeys.add(key);
    }

    if (this.skip?.(type.name, name) === true) {
      // Denied before its resolver runs: one null value.
      this.addEntry(unit, false, this.entry(key, name, false, 1, 1, info.weight, 0, 0, null, 0));
      return;
    }

    let args: Record<string, unknown> = {};
    const needsArgs = info.weightedArgs.length > 0 || (info.listSize?.slicingArguments.length ?? 0) > 0;
    if (needsArgs) {
      try {
        args = getArgumentValues(def, node, this.variables);
      } catch {
        // Execution fails this field before its resolver runs: it is one null value.
        this.addEntry(unit, false, this.entry(key, name, false, 1, 1, info.weight, 0, 0, null, 0));
        return;
      }
    }
    const ownCost = add(info.weight, this.argumentWeight(info, node, args));
    const fromSlice = sized?.has(name) === true && info.listDepth === 1;
    const multiplier = fromSlice ? 1 : this.listMultiplier(info, args);

    if (leaf) {
      const itemCost = this.info.typeWeights.get(named.name) ?? 0;
      this.addEntry(unit, fromSlice, this.entry(key, name, fromSlice, multiplier, 1, ownCost, 0, itemCost, null, 0));
      return;
    }

    // A connection: its slicing argument sizes the named child lists (edges).
    const childSlice = info.sized ? this.slicingSize(info.listSize, args) : 0;
    const childSized = info.sized ? info : null;
    const selectionSet = node.selectionSet as SelectionSetNode;
    // An abstract type is one concrete type at run time: the costliest one bounds it.
    const candidates = isAbstractType(named) ? this.schema.getPossibleTypes(named) : isObjectType(named) ? [named] : [];
    let itemObjects = 0;
    let itemCost = 0;
    let child: Unit | null = null;
    let childCost = -1;
    for (const candidate of candidates) {
      const candidateUnit = this.unitOf(selectionSet, candidate, childSized);
      const total = evaluate(candidateUnit, childSlice);
      const cost = add(this.typeWeight(candidate), total.cost);
      itemObjects = Math.max(itemObjects, total.objects);
      itemCost = Math.max(itemCost, cost);
      if (cost > childCost) {
        child = candidateUnit;
        childCost = cost;
      }
    }
    this.addEntry(unit, fromSlice, this.entry(key, name, fromSlice, multiplier, 1, ownCost, itemObjects, itemCost, child, childSlice));
  }

  private entry(
    key: string,
    name: string,
    fromSlice: boolean,
    multiplier: number,
    ownObjects: number,
    ownCost: number,
    itemObjects: number,
    itemCost: number,
    child: Unit | null,
    childSlice: number,
  ): Entry {
    const label = key === name ? key : `${key}:${name}`;
    return { label, fromSlice, multiplier, ownObjects, ownCost, itemObjects, itemCost, child, childSlice };
  }

  private addEntry(unit: Unit, fromSlice: boolean, entry: Entry): void {
    unit.entries.push(entry);
    unit.objects = add(unit.objects, entry.ownObjects);
    unit.cost = add(unit.cost, entry.ownCost);
    if (fromSlice) {
      unit.perSliceObjects = add(unit.perSliceObjects, entry.itemObjects);
      unit.perSliceCost = add(unit.perSliceCost, entry.itemCost);
    } else {
      unit.objects = add(unit.objects, mul(entry.multiplier, entry.itemObjects));
      unit.cost = add(unit.cost, mul(entry.multiplier, entry.itemCost));
    }
  }

  private typeWeight(type: GraphQLNamedType): number {
    return this.info.typeWeights.get(type.name) ?? (isCompositeType(type) ? 1 : 0);
  }

  /** How many items one resolution of a list field returns; 1 for a non-list. */
  private listMultiplier(info: FieldInfo, args: Record<string, unknown>): number {
    if (info.listDepth === 0) return 1;
    let size: number;
    if (info.introspectionSize !== undefined) size = info.introspectionSize;
    else if (info.listSize && info.listSize.slicingArguments.length > 0) size = this.slicingSize(info.listSize, args);
    else if (info.listSize?.assumedSize !== undefined) size = info.listSize.assumedSize;
    // Unreachable with a checked schema (every list is sized); the largest page is a bound of sorts.
    else size = this.maxPageSize;
    return pow(size, info.listDepth);
  }

  /**
   * The page a slicing argument asks for, as the resolvers serve it: null or below 1 is
   * refused (no items), above the maximum page size is clamped. The largest of several
   * slicing arguments wins; none given falls back to `assumedSize`, then the maximum page.
   */
  private slicingSize(spec: ListSizeSpec | undefined, args: Record<string, unknown>): number {
    let size = -1;
    for (const name of spec?.slicingArguments ?? []) {
      if (!Object.hasOwn(args, name)) continue;
      const value = args[name];
      const page = typeof value === 'number' && value >= 1 ? Math.min(Math.floor(value), this.maxPageSize) : 0;
      size = Math.max(size, page);
    }
    if (size >= 0) return size;
    return spec?.assumedSize ?? this.maxPageSize;
  }

  /** Weights of the arguments given on `node`, and of the input fields inside their values. */
  private argumentWeight(info: FieldInfo, node: FieldNode, args: Record<string, unknown>): number {
    let weight = 0;
    for (const arg of info.weightedArgs) {
      const given = node.arguments?.some((a) => a.name.value === arg.name) === true && Object.hasOwn(args, arg.name);
      if (given) weight = add(add(weight, arg.weight), this.inputWeight(arg.type, args[arg.name]));
    }
    return weight;
  }

  private inputWeight(type: GraphQLInputType, value: unknown): number {
    if (this.info.inputFieldWeights.size === 0 || value === null || value === undefined) return 0;
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (isListType(nullable)) {
      let weight = 0;
      for (const item of Array.isArray(value) ? value : [value]) weight = add(weight, this.inputWeight(nullable.ofType, item));
      return weight;
    }
    if (!isInputObjectType(nullable) || typeof value !== 'object') return 0;
    let weight = 0;
    const record = value as Record<string, unknown>;
    for (const field of Object.values(nullable.getFields())) {
      if (!Object.hasOwn(record, field.name)) continue;
      weight = add(weight, this.info.inputFieldWeights.get(`${nullable.name}.${field.name}`) ?? 0);
      weight = add(weight, this.inputWeight(field.type, record[field.name]));
    }
    return weight;
  }

  private fieldDef(type: GraphQLObjectType, name: string): GraphQLField<unknown, unknown> | undefined {
    if (type === this.schema.getQueryType()) {
      if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
      if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    }
    return type.getFields()[name];
  }

  private fieldInfo(def: GraphQLField<unknown, unknown>): FieldInfo {
    let info = this.info.fields.get(def);
    if (!info) {
      // __schema and __type: shared definitions outside the type map, never lists.
      info = {
        weight: 0,
        weightedArgs: [],
        listDepth: listDepth(def.type),
        listSize: undefined,
        introspectionSize: undefined,
        sizedKey: '',
        sized: null,
      };
      this.info.fields.set(def, info);
    }
    return info;
  }

  private applies(typeCondition: string, type: GraphQLObjectType): boolean {
    const condition = this.schema.getType(typeCondition);
    if (!condition) return false;
    if (condition === type) return true;
    return isAbstractType(condition) && this.schema.isSubType(condition, type);
  }

  /** `@skip`/`@include` with the request's variables, as graphql-js evaluates them. */
  private included(node: FieldNode | FragmentSpreadNode | InlineFragmentNode): boolean {
    if (!node.directives || node.directives.length === 0 || this.worstCase) return true;
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, this.variables)?.if === true) return false;
      if (getDirectiveValues(GraphQLIncludeDirective, node, this.variables)?.if === false) return false;
    } catch {
      // A condition that does not coerce fails execution anyway; counting the field is the safe side.
    }
    return true;
  }
}

// ---------------------------------------------------------------------------------------
// Costliest paths: for the few costliest root fields, follow the child carrying at least
// half of the cost down to where the cost spreads out, and report the deepest list on the
// way. Diagnostics only, so the search has a fixed budget of entries, whatever the document.

const PATH_BUDGET = 10_000;

interface Located {
  readonly entry: Entry;
  readonly objects: number;
  readonly cost: number;
}

function costliestPaths(root: Unit, limit: number): CostPath[] {
  const budget = { left: PATH_BUDGET };
  const roots = locate(root, 1, 0, budget).sort(byCost).slice(0, Math.max(0, limit));
  const paths: CostPath[] = [];
  for (const start of roots) {
    let current = start;
    let path = start.entry.label;
    let multiplier = 1;
    let slice = 0;
    // The answer is the deepest list on the chain: below it, cost only follows single values
    // (`type { ofType { ofType ... } }`), which says nothing a developer could change.
    let found: CostPath = { path, objects: current.objects, cost: current.cost };
    for (;;) {
      const { entry } = current;
      const items = entry.fromSlice ? slice : entry.multiplier;
      if (items !== 1) found = { path, objects: current.objects, cost: current.cost };
      if (!entry.child) break;
      multiplier = mul(multiplier, items);
      slice = entry.childSlice;
      const children = locate(entry.child, multiplier, slice, budget).sort(byCost);
      const best = children[0];
      if (!best || !carriesHalf(best, current)) break;
      current = best;
      path = `${path}.${best.entry.label}`;
    }
    paths.push(found);
  }
  return paths;
}

function carriesHalf(child: Located, parent: Located): boolean {
  return parent.cost > 0 ? child.cost * 2 >= parent.cost : child.objects * 2 >= parent.objects;
}

function byCost(a: Located, b: Located): number {
  return b.cost - a.cost || b.objects - a.objects;
}

/** The entries of a unit and of the fragments it spreads, with their totals under `multiplier` parent values. */
function locate(unit: Unit, multiplier: number, slice: number, budget: { left: number }): Located[] {
  const found: Located[] = [];
  const seen = new Set<Unit>();
  const stack = [unit];
  while (stack.length > 0 && budget.left > 0) {
    const current = stack.pop() as Unit;
    if (seen.has(current)) continue;
    seen.add(current);
    for (const entry of current.entries) {
      if (--budget.left <= 0) break;
      const items = entry.fromSlice ? slice : entry.multiplier;
      const objects = mul(multiplier, add(entry.ownObjects, mul(items, entry.itemObjects)));
      const cost = mul(multiplier, add(entry.ownCost, mul(items, entry.itemCost)));
      found.push({ entry, objects, cost });
    }
    stack.push(...current.spreads);
  }
  return found;
}

/**
 * Variable values as large as a client could make them: any `Int` at the largest page (slicing
 * arguments are clamped to it anyway), other scalars as placeholders that only let arguments
 * coerce (they never size a list).
 */
function worstCaseVariables(operation: OperationDefinitionNode, maxPageSize: number): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    let type = definition.type;
    while (type.kind !== Kind.NAMED_TYPE) type = type.type;
    const name = type.name.value;
    values[definition.variable.name.value] =
      name === 'Int'
        ? maxPageSize
        : name === 'Float'
          ? maxPageSize
          : name === 'Boolean'
            ? true
            : name === 'ID' || name === 'String'
              ? 'x'
              : undefined;
  }
  return values;
}
