import { exportUrl, type SearchParams } from '../api';

/** ?gzip=1 asks the server for a .gz file rather than a compressed transfer (which the browser would inflate). */
function gzipped(url: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}gzip=1`;
}

/** Download the current search as NDJSON (plain or a .gz file) or CSV. */
export function ExportLinks({ params, tenant }: { params: SearchParams; tenant?: string }) {
  const ndjson = exportUrl(params, 'ndjson', tenant);
  return (
    <nav className="export-links" aria-label="Export these lines">
      Export:{' '}
      <a href={ndjson} download data-testid="export-ndjson">
        NDJSON
      </a>{' '}
      <a href={gzipped(ndjson)} download data-testid="export-ndjson-gz">
        NDJSON (.gz)
      </a>{' '}
      <a href={exportUrl(params, 'csv', tenant)} download data-testid="export-csv">
        CSV
      </a>
    </nav>
  );
}
