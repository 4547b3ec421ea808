import { formatCount } from '../../format';

/** One big count: the lines the widget's query matches in the range. */
export function SingleNumber({ value }: { value: number }) {
  return (
    <div className="single-number" data-testid="widget-number" data-value={value}>
      {formatCount(value)}
      <span className="single-number-unit">lines</span>
    </div>
  );
}
