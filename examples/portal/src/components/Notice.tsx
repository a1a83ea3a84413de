import type { Notice } from '../graphql-errors';

/** Says why something is missing: no access, a license needed, or a temporary failure. */
export function NoticeText({ notice }: { readonly notice: Notice }) {
  return <span className={`notice notice-${notice.kind}`}>{notice.text}</span>;
}
