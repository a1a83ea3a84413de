import { useQuery } from '@apollo/client/react';
import { graphql } from '../gql';
import { formatCount } from '../format';
import { noticeAt } from '../graphql-errors';
import { NoticeText } from './Notice';
import { Section } from './Section';

// `forecast` is asked for only when the viewer's entitlements include forecasting: the same
// trusted document serves both cases, the variable decides.
const PortalUsageQuery = graphql(`
  query PortalUsage($customerId: ID!, $withForecast: Boolean!) {
    customer(id: $customerId) {
      id
      usage {
        period
        activeUsers
        apiCalls
        storageGb
        forecast @include(if: $withForecast) {
          period
          apiCalls
          confidence
        }
      }
    }
  }
`);

/**
 * This month's usage and next month's forecast. Usage needs the usage-analytics entitlement: a
 * customer without it (Globex, whose Analytics Suite expired) gets LICENSE_REQUIRED naming the
 * feature, and the section says so.
 */
export function UsageSection({ customerId, withForecast }: { readonly customerId: string; readonly withForecast: boolean }) {
  const { data, error, loading } = useQuery(PortalUsageQuery, { variables: { customerId, withForecast } });
  const customer = data?.customer;
  if (customer == null || customer.usage === null) {
    const notice = noticeAt(error, customer == null ? ['customer'] : ['customer', 'usage']);
    return <Section title="Usage">{loading ? <p>Loading usage…</p> : <NoticeText notice={notice} />}</Section>;
  }
  const { usage } = customer;
  const forecast = usage.forecast;
  return (
    <Section title="Usage">
      <dl className="figures">
        <div>
          <dt>Period</dt>
          <dd>{usage.period}</dd>
        </div>
        <div>
          <dt>Active users</dt>
          <dd>{formatCount(usage.activeUsers)}</dd>
        </div>
        <div>
          <dt>API calls</dt>
          <dd>{formatCount(usage.apiCalls)}</dd>
        </div>
        <div>
          <dt>Storage</dt>
          <dd>{usage.storageGb.toFixed(1)} GB</dd>
        </div>
      </dl>
      {forecast != null ? (
        <p className="forecast">
          Forecast for {forecast.period}: <strong>{formatCount(forecast.apiCalls)} API calls</strong> (confidence{' '}
          {Math.round(forecast.confidence * 100)}%)
        </p>
      ) : (
        withForecast && (
          <p>
            Forecast: <NoticeText notice={noticeAt(error, ['customer', 'usage', 'forecast'])} />
          </p>
        )
      )}
    </Section>
  );
}
