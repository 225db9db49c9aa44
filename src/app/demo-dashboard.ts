import type { DashboardInput } from '../dashboards/model.js';

/**
 * The dashboard `--demo` saves on its first start (once: a user's edits are theirs to keep), so a new user
 * sees the simulated devices live as soon as they log in.
 */
export const DEMO_DASHBOARD: DashboardInput = {
  uid: 'demo',
  title: 'Demo: rooms and potentiometer',
  tags: ['demo'],
  time: { from: 'now-15m', to: 'now' },
  refresh: 'live',
  variables: [
    {
      name: 'device',
      label: 'Device',
      query: 'SHOW TAG VALUES FROM "temperature" WITH KEY = "device"',
      includeAll: true,
    },
  ],
  panels: [
    {
      id: 'temperature',
      type: 'timeseries',
      title: 'Temperature',
      gridPos: { x: 0, y: 0, w: 12, h: 9 },
      queries: [
        {
          measurement: 'temperature',
          field: 'value',
          aggregate: 'mean',
          tags: { device: '$device' },
          groupBy: ['device'],
        },
      ],
      options: { unit: '°C', decimals: 1 },
    },
    {
      id: 'humidity',
      type: 'timeseries',
      title: 'Humidity',
      gridPos: { x: 12, y: 0, w: 12, h: 9 },
      queries: [
        {
          measurement: 'humidity',
          field: 'value',
          aggregate: 'mean',
          tags: { device: '$device' },
          groupBy: ['device'],
        },
      ],
      options: { unit: '%', decimals: 0, min: 0, max: 100 },
    },
    {
      id: 'pot',
      type: 'timeseries',
      title: 'Potentiometer (seed 001), alert threshold 3000',
      gridPos: { x: 0, y: 9, w: 16, h: 8 },
      queries: [{ measurement: 'pot', field: 'value', aggregate: 'last', interval: '1s' }],
      options: {
        thresholds: [
          { value: null, color: 'green' },
          { value: 3000, color: 'red' },
        ],
        showThresholds: true,
        min: 0,
        max: 4095,
      },
    },
    {
      id: 'pot-now',
      type: 'gauge',
      title: 'Potentiometer now',
      gridPos: { x: 16, y: 9, w: 8, h: 8 },
      queries: [{ measurement: 'pot', field: 'value', aggregate: 'last', interval: '1s' }],
      options: {
        min: 0,
        max: 4095,
        decimals: 0,
        thresholds: [
          { value: null, color: 'green' },
          { value: 2500, color: 'orange' },
          { value: 3000, color: 'red' },
        ],
      },
    },
    {
      id: 'latest',
      type: 'bar',
      title: 'Temperature per device',
      gridPos: { x: 0, y: 17, w: 24, h: 5 },
      queries: [
        {
          measurement: 'temperature',
          field: 'value',
          aggregate: 'last',
          groupBy: ['device'],
          interval: '1s',
        },
      ],
      options: { unit: '°C', decimals: 1, min: 15, max: 30 },
    },
  ],
};
