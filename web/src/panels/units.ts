/**
 * How a unit is shown after a value. Grafana's unit ids (what imported and provisioned dashboards carry) map
 * to their symbols; anything else (°C, kWh, rpm) is shown as written; `none` and `short` show nothing.
 */
const SYMBOLS: Record<string, string> = {
  none: '',
  short: '',
  percent: '%',
  percentunit: '%',
  humidity: '%H',
  celsius: '°C',
  fahrenheit: '°F',
  kelvin: 'K',
  volt: 'V',
  mvolt: 'mV',
  kvolt: 'kV',
  amp: 'A',
  mamp: 'mA',
  watt: 'W',
  kwatt: 'kW',
  mwatt: 'mW',
  watth: 'Wh',
  kwatth: 'kWh',
  voltamp: 'VA',
  hertz: 'Hz',
  pressurehpa: 'hPa',
  pressurebar: 'bar',
  pressurembar: 'mbar',
  lux: 'lx',
  ppm: 'ppm',
  conlumens: 'lm',
  ms: 'ms',
  s: 's',
  m: 'min',
  h: 'h',
  d: 'd',
  bytes: 'B',
  decbytes: 'B',
  lengthm: 'm',
  lengthmm: 'mm',
  velocityms: 'm/s',
  velocitykmh: 'km/h',
  flowlpm: 'L/min',
  litre: 'L',
  dBm: 'dBm',
  rpm: 'rpm',
};

export function unitSuffix(unit: string | undefined): string {
  if (unit === undefined || unit === '') return '';
  const symbol = SYMBOLS[unit] ?? unit;
  if (symbol === '') return '';
  return symbol === '%' ? '%' : ` ${symbol}`;
}
