import { ruleChildren, ruleKind, ruleName, type IRule } from './shield-rules.js';

/** A rule tree in words, for the permissions matrix and the decision log. */
export function describeRule(node: IRule): string {
  return describe(node, false);
}

function describe(node: IRule, nested: boolean): string {
  const kind = ruleKind(node);
  switch (kind) {
    case 'allow':
      return 'allow';
    case 'deny':
      return 'deny';
    case 'rule':
      return ruleName(node);
    case 'not':
      return `not ${describe(ruleChildren(node)[0]!, true)}`;
    default: {
      const joiner = { and: ' and ', or: ' or ', chain: ' then ', race: ' else ' }[kind];
      const text = ruleChildren(node)
        .map((child) => describe(child, true))
        .join(joiner);
      return nested ? `(${text})` : text;
    }
  }
}
