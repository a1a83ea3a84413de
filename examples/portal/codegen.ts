/**
 * GraphQL Code Generator for the portal: copy this file into your SPA and point `schema` at
 * your copy of shielded-bff's docs/schema.graphql (or its raw URL). Run from the SPA's folder
 * (`graphql-codegen`, here `npm run example:codegen`); paths are relative to it.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

const config: CodegenConfig = {
  // The published artifact, never introspection: production BFFs answer none.
  schema: '../../docs/schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: {
        // Writes src/gql/persisted-documents.json (id = sha256 of the text): the manifest the
        // BFF lists in TRUSTED_DOCUMENTS, and a `__meta__.hash` on every document for the link.
        persistedDocuments: true,
        // Named apart from Apollo Client's own `useFragment` hook: this one is a plain function.
        fragmentMasking: { unmaskFunctionName: 'getFragmentData' },
      },
      // Apollo Client adds `__typename` to every selection before sending (its cache needs it
      // to normalise). The BFF runs the manifest's text for an id, so the manifest must carry
      // the `__typename`s too, or the cache gets answers it cannot normalise.
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: {
        scalars: { Date: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
