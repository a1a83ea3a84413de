import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { getOperationAST, type DocumentNode } from 'graphql';
import type { Auth } from './auth/auth';

// Authorization is per field: a caller without read:billing gets the rest of a query *and* a
// FORBIDDEN error at the billing field, in one HTTP 200. Apollo Client's default errorPolicy
// ('none') throws that whole result away, so bob would see nothing at all. 'all' keeps the
// data and hands the errors over beside it; the sections read them by path (graphql-errors.ts).
// Apollo Client 4 types the results by the declared defaults, hence this declaration.
declare module '@apollo/client' {
  export namespace ApolloClient {
    export namespace DeclareDefaultOptions {
      interface WatchQuery {
        errorPolicy: 'all';
      }
      interface Query {
        errorPolicy: 'all';
      }
      interface Mutate {
        errorPolicy: 'all';
      }
    }
  }
}

/**
 * The portal's Apollo Client: a bearer token on every request, trusted documents sent by id
 * (never their text), errors kept beside partial data.
 */
export function createPortalClient(bffUrl: string, auth: Auth): ApolloClient {
  const withToken = new SetContextLink(async (context) => ({
    headers: { ...context.headers, authorization: `Bearer ${await auth.getAccessToken()}` },
  }));
  // Apollo's APQ link, pointed at the ids the client preset computed at build time: it sends
  // `extensions.persistedQuery.sha256Hash` and no query text. Where the BFF runs only trusted
  // documents, resending the text after PERSISTED_QUERY_NOT_FOUND would only be refused again
  // (PERSISTED_QUERY_NOT_IN_LIST), and giving up on ids would send every later query as text:
  // neither helps, so an unknown id is reported as it is (the manifest was not deployed).
  const byDocumentId = new PersistedQueryLink({ generateHash: documentHash, retry: () => false, disable: () => false });
  return new ApolloClient({
    link: ApolloLink.from([withToken, byDocumentId, new HttpLink({ uri: bffUrl })]),
    cache: new InMemoryCache(),
    // Sent as apollographql-client-name/-version headers, which the BFF's CORS preflight allows.
    clientAwareness: { name: 'customer-portal', version: '1.0.0' },
    defaultOptions: {
      watchQuery: { errorPolicy: 'all' },
      query: { errorPolicy: 'all' },
      mutate: { errorPolicy: 'all' },
    },
  });
}

/** The id the client preset stamped on a document (`__meta__.hash`, persistedDocuments: true). */
function documentHash(document: DocumentNode): string {
  const hash = (document as DocumentNode & { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof hash !== 'string') {
    const name = getOperationAST(document)?.name?.value ?? 'an operation';
    throw new Error(`${name} carries no persisted-document id: write it with graphql() from src/gql and run the codegen`);
  }
  return hash;
}
