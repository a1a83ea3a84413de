import { type ReactNode, useId } from 'react';

/** A titled region of the page (a landmark screen readers, and the browser tests, find by name). */
export function Section({ title, children }: { readonly title: string; readonly children: ReactNode }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}
