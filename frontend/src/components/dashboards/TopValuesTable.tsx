import { formatCount } from '../../format';
import type { TopValuesData } from '../../types';

/** The most frequent values of a field, with their share of the matching lines. */
export function TopValuesTable({ data }: { data: TopValuesData }) {
  if (data.values.length === 0) return <div className="list-note">No values in this range</div>;
  return (
    <table className="top-values" data-testid="top-values">
      <thead>
        <tr>
          <th>{data.field}</th>
          <th className="num">lines</th>
        </tr>
      </thead>
      <tbody>
        {data.values.map((v) => {
          const share = data.total > 0 ? (v.count / data.total) * 100 : 0;
          return (
            <tr key={v.value} data-testid="top-value-row" data-value={v.value} data-count={v.count}>
              <td className="top-value-label">
                <span className="top-value-bar" style={{ width: `${share}%` }} />
                <span className="top-value-text">{v.value === '' ? '(empty)' : v.value}</span>
              </td>
              <td className="num">
                {formatCount(v.count)} <span className="facet-count">{share.toFixed(0)}%</span>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
