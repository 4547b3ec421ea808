import { exportUrl, type SearchParams } from '../api';

/** Download the current search as NDJSON or CSV. */
export function ExportLinks({ params, tenant }: { params: SearchParams; tenant?: string }) {
  return (
    <span className="export-links">
      Export:{' '}
      <a href={exportUrl(params, 'ndjson', tenant)} download data-testid="export-ndjson">
        NDJSON
      </a>{' '}
      <a href={exportUrl(params, 'csv', tenant)} download data-testid="export-csv">
        CSV
      </a>
    </span>
  );
}
