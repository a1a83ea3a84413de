/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query PortalViewer {\n    viewer {\n      subject\n      permissions\n      entitlements\n      isSupportStaff\n      user {\n        id\n        name\n        role\n      }\n      customer {\n        id\n        name\n      }\n    }\n  }\n": typeof types.PortalViewerDocument,
    "\n  fragment InvoiceRow on Invoice {\n    id\n    number\n    status\n    issuedAt\n    dueAt\n    total {\n      amount\n      currency\n    }\n  }\n": typeof types.InvoiceRowFragmentDoc,
    "\n  query PortalInvoices($customerId: ID!, $first: Int!, $after: String) {\n    customer(id: $customerId) {\n      id\n      billingAccount {\n        id\n        status\n        paymentTerms\n        balance {\n          amount\n          currency\n        }\n      }\n      invoices(first: $first, after: $after) {\n        totalCount\n        edges {\n          cursor\n          node {\n            id\n            ...InvoiceRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.PortalInvoicesDocument,
    "\n  fragment LicenseCard on License {\n    id\n    product {\n      id\n      name\n    }\n    status\n    features\n    seats\n    seatsUsed\n    validUntil\n    assignments {\n      assignedAt\n      user {\n        id\n        name\n      }\n    }\n  }\n": typeof types.LicenseCardFragmentDoc,
    "\n  query PortalLicenses($customerId: ID!) {\n    customer(id: $customerId) {\n      id\n      licenses {\n        id\n        ...LicenseCard\n      }\n      users {\n        id\n        name\n      }\n    }\n  }\n": typeof types.PortalLicensesDocument,
    "\n  mutation AssignSeat($licenseId: ID!, $userId: ID!) {\n    assignLicenseSeat(licenseId: $licenseId, userId: $userId) {\n      licenseId\n      userId\n      seatsUsed\n      license {\n        id\n        ...LicenseCard\n      }\n    }\n  }\n": typeof types.AssignSeatDocument,
    "\n  mutation RevokeSeat($licenseId: ID!, $userId: ID!) {\n    revokeLicenseSeat(licenseId: $licenseId, userId: $userId) {\n      licenseId\n      userId\n      seatsUsed\n      license {\n        id\n        ...LicenseCard\n      }\n    }\n  }\n": typeof types.RevokeSeatDocument,
    "\n  query PortalPeople($customerId: ID!) {\n    customer(id: $customerId) {\n      id\n      users {\n        id\n        name\n        role\n        email\n      }\n    }\n  }\n": typeof types.PortalPeopleDocument,
    "\n  query PortalUsage($customerId: ID!, $withForecast: Boolean!) {\n    customer(id: $customerId) {\n      id\n      usage {\n        period\n        activeUsers\n        apiCalls\n        storageGb\n        forecast @include(if: $withForecast) {\n          period\n          apiCalls\n          confidence\n        }\n      }\n    }\n  }\n": typeof types.PortalUsageDocument,
};
const documents: Documents = {
    "\n  query PortalViewer {\n    viewer {\n      subject\n      permissions\n      entitlements\n      isSupportStaff\n      user {\n        id\n        name\n        role\n      }\n      customer {\n        id\n        name\n      }\n    }\n  }\n": types.PortalViewerDocument,
    "\n  fragment InvoiceRow on Invoice {\n    id\n    number\n    status\n    issuedAt\n    dueAt\n    total {\n      amount\n      currency\n    }\n  }\n": types.InvoiceRowFragmentDoc,
    "\n  query PortalInvoices($customerId: ID!, $first: Int!, $after: String) {\n    customer(id: $customerId) {\n      id\n      billingAccount {\n        id\n        status\n        paymentTerms\n        balance {\n          amount\n          currency\n        }\n      }\n      invoices(first: $first, after: $after) {\n        totalCount\n        edges {\n          cursor\n          node {\n            id\n            ...InvoiceRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.PortalInvoicesDocument,
    "\n  fragment LicenseCard on License {\n    id\n    product {\n      id\n      name\n    }\n    status\n    features\n    seats\n    seatsUsed\n    validUntil\n    assignments {\n      assignedAt\n      user {\n        id\n        name\n      }\n    }\n  }\n": types.LicenseCardFragmentDoc,
    "\n  query PortalLicenses($customerId: ID!) {\n    customer(id: $customerId) {\n      id\n      licenses {\n        id\n        ...LicenseCard\n      }\n      users {\n        id\n        name\n      }\n    }\n  }\n": types.PortalLicensesDocument,
    "\n  mutation AssignSeat($licenseId: ID!, $userId: ID!) {\n    assignLicenseSeat(licenseId: $licenseId, userId: $userId) {\n      licenseId\n      userId\n      seatsUsed\n      license {\n        id\n        ...LicenseCard\n      }\n    }\n  }\n": types.AssignSeatDocument,
    "\n  mutation RevokeSeat($licenseId: ID!, $userId: ID!) {\n    revokeLicenseSeat(licenseId: $licenseId, userId: $userId) {\n      licenseId\n      userId\n      seatsUsed\n      license {\n        id\n        ...LicenseCard\n      }\n    }\n  }\n": types.RevokeSeatDocument,
    "\n  query PortalPeople($customerId: ID!) {\n    customer(id: $customerId) {\n      id\n      users {\n        id\n        name\n        role\n        email\n      }\n    }\n  }\n": types.PortalPeopleDocument,
    "\n  query PortalUsage($customerId: ID!, $withForecast: Boolean!) {\n    customer(id: $customerId) {\n      id\n      usage {\n        period\n        activeUsers\n        apiCalls\n        storageGb\n        forecast @include(if: $withForecast) {\n          period\n          apiCalls\n          confidence\n        }\n      }\n    }\n  }\n": types.PortalUsageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PortalViewer {\n    viewer {\n      subject\n      permissions\n      entitlements\n      isSupportStaff\n      user {\n        id\n        name\n        role\n      }\n      customer {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query PortalViewer {\n    viewer {\n      subject\n      permissions\n      entitlements\n      isSupportStaff\n      user {\n        id\n        name\n        role\n      }\n      customer {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment InvoiceRow on Invoice {\n    id\n    number\n    status\n    issuedAt\n    dueAt\n    total {\n      amount\n      currency\n    }\n  }\n"): (typeof documents)["\n  fragment InvoiceRow on Invoice {\n    id\n    number\n    status\n    issuedAt\n    dueAt\n    total {\n      amount\n      currency\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PortalInvoices($customerId: ID!, $first: Int!, $after: String) {\n    customer(id: $customerId) {\n      id\n      billingAccount {\n        id\n        status\n        paymentTerms\n        balance {\n          amount\n          currency\n        }\n      }\n      invoices(first: $first, after: $after) {\n        totalCount\n        edges {\n          cursor\n          node {\n            id\n            ...InvoiceRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query PortalInvoices($customerId: ID!, $first: Int!, $after: String) {\n    customer(id: $customerId) {\n      id\n      billingAccount {\n        id\n        status\n        paymentTerms\n        balance {\n          amount\n          currency\n        }\n      }\n      invoices(first: $first, after: $after) {\n        totalCount\n        edges {\n          cursor\n          node {\n            id\n            ...InvoiceRow\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LicenseCard on License {\n    id\n    product {\n      id\n      name\n    }\n    status\n    features\n    seats\n    seatsUsed\n    validUntil\n    assignments {\n      assignedAt\n      user {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment LicenseCard on License {\n    id\n    product {\n      id\n      name\n    }\n    status\n    features\n    seats\n    seatsUsed\n    validUntil\n    assignments {\n      assignedAt\n      user {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PortalLicenses($customerId: ID!) {\n    customer(id: $customerId) {\n      id\n      licenses {\n        id\n        ...LicenseCard\n      }\n      users {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query PortalLicenses($customerId: ID!) {\n    customer(id: $customerId) {\n      id\n      licenses {\n        id\n        ...LicenseCard\n      }\n      users {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AssignSeat($licenseId: ID!, $userId: ID!) {\n    assignLicenseSeat(licenseId: $licenseId, userId: $userId) {\n      licenseId\n      userId\n      seatsUsed\n      license {\n        id\n        ...LicenseCard\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation AssignSeat($licenseId: ID!, $userId: ID!) {\n    assignLicenseSeat(licenseId: $licenseId, userId: $userId) {\n      licenseId\n      userId\n      seatsUsed\n      license {\n        id\n        ...LicenseCard\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeSeat($licenseId: ID!, $userId: ID!) {\n    revokeLicenseSeat(licenseId: $licenseId, userId: $userId) {\n      licenseId\n      userId\n      seatsUsed\n      license {\n        id\n        ...LicenseCard\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeSeat($licenseId: ID!, $userId: ID!) {\n    revokeLicenseSeat(licenseId: $licenseId, userId: $userId) {\n      licenseId\n      userId\n      seatsUsed\n      license {\n        id\n        ...LicenseCard\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PortalPeople($customerId: ID!) {\n    customer(id: $customerId) {\n      id\n      users {\n        id\n        name\n        role\n        email\n      }\n    }\n  }\n"): (typeof documents)["\n  query PortalPeople($customerId: ID!) {\n    customer(id: $customerId) {\n      id\n      users {\n        id\n        name\n        role\n        email\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PortalUsage($customerId: ID!, $withForecast: Boolean!) {\n    customer(id: $customerId) {\n      id\n      usage {\n        period\n        activeUsers\n        apiCalls\n        storageGb\n        forecast @include(if: $withForecast) {\n          period\n          apiCalls\n          confidence\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query PortalUsage($customerId: ID!, $withForecast: Boolean!) {\n    customer(id: $customerId) {\n      id\n      usage {\n        period\n        activeUsers\n        apiCalls\n        storageGb\n        forecast @include(if: $withForecast) {\n          period\n          apiCalls\n          confidence\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;