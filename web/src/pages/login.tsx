import { useState } from 'preact/hooks';
import { post, type Session } from '../api';
import { ErrorBox } from '../components/ui';

export function LoginPage({ onLogin }: { onLogin: (s: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  return (
    <div class="login">
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          post<Session>('/api/v1/session', { username, password }).then(onLogin, (err: unknown) => {
            setError(err);
            setBusy(false);
          });
        }}
      >
        <div class="row">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <h1>sensorhub</h1>
        </div>
        <label>
          Username
          <input
            name="username"
            autocomplete="username"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p class="muted small">
          The first admin's password is printed once at the first start (or set with
          SENSORHUB_ADMIN_PASSWORD).
        </p>
      </form>
    </div>
  );
}
