/**
 * Short names for the upstream schemas. The generated files are the single source of truth
 * (regenerate with `npm run codegen:openapi`); this module only aliases them so clients and
 * the demo services don't spell out `components['schemas'][...]` everywhere.
 */
import type { components as CustomersComponents } from './__generated__/customers.js';
import type { components as BillingComponents } from './__generated__/billing.js';
import type { components as LicensesComponents } from './__generated__/licenses.js';

type CustomersSchemas = CustomersComponents['schemas'];
type BillingSchemas = BillingComponents['schemas'];
type LicensesSchemas = LicensesComponents['schemas'];

export type { paths as CustomersPaths } from './__generated__/customers.js';
export type { paths as BillingPaths } from './__generated__/billing.js';
export type { paths as LicensesPaths } from './__generated__/licenses.js';

// All three documents declare the same error shape; customers' copy stands for all.
export type UpstreamError = CustomersSchemas['UpstreamError'];

export type IdsRequest = CustomersSchemas['IdsRequest'];
export type CustomerIdsRequest = CustomersSchemas['CustomerIdsRequest'];
export type OrganizationIdsRequest = CustomersSchemas['OrganizationIdsRequest'];

export type Customer = CustomersSchemas['Customer'];
export type User = CustomersSchemas['User'];
export type UserRole = User['role'];
export type SubjectsRequest = CustomersSchemas['SubjectsRequest'];
export type CustomerList = CustomersSchemas['CustomerList'];
export type UserList = CustomersSchemas['UserList'];

export type BillingAccount = BillingSchemas['BillingAccount'];
export type Invoice = BillingSchemas['Invoice'];
export type InvoiceStatus = Invoice['status'];
export type InvoiceLine = BillingSchemas['InvoiceLine'];
export type InvoicePage = BillingSchemas['InvoicePage'];
export type InvoicePageRequest = BillingSchemas['InvoicePageRequest'];
export type InvoicePagesRequest = BillingSchemas['InvoicePagesRequest'];
export type InvoicePagesResponse = BillingSchemas['InvoicePagesResponse'];
export type BillingAccountList = BillingSchemas['BillingAccountList'];
export type InvoiceList = BillingSchemas['InvoiceList'];

export type License = LicensesSchemas['License'];
export type LicenseStatus = License['status'];
export type Assignment = LicensesSchemas['Assignment'];
export type Usage = LicensesSchemas['Usage'];
export type UsageForecast = LicensesSchemas['UsageForecast'];
export type LicenseIdsRequest = LicensesSchemas['LicenseIdsRequest'];
export type AssignSeatRequest = LicensesSchemas['AssignSeatRequest'];
export type CreateLicenseRequest = LicensesSchemas['CreateLicenseRequest'];
export type UpdateLicenseRequest = LicensesSchemas['UpdateLicenseRequest'];
export type LicenseList = LicensesSchemas['LicenseList'];
export type AssignmentList = LicensesSchemas['AssignmentList'];
export type UsageList = LicensesSchemas['UsageList'];
