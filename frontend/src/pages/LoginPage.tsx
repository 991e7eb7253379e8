// Sign in with a username and password; then on to ?next= (a path of this app) or the datasets.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";

import { api, ApiError, ensureCsrf, NetworkError } from "../api/client";
import { useSession } from "../session";

/** Only a path of this app: never another origin ("//host", "https://…"), whatever ?next= says. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (next === "/login" || next.startsWith("/login?")) return "/";
  return next;
}

export function loginErrorMessage(error: unknown): string[] {
  if (error instanceof ApiError) {
    if (error.status === 401 || error.code === "invalid_credentials") {
      return ["The username or password is not correct."];
    }
    if (error.status === 429) return ["Too many attempts; wait a minute and try again."];
    if (error.code === "csrf_failed") {
      return ["The page's security token has expired. Reload the page and sign in again."];
    }
    const fields = error.fieldMessages();
    if (fields.length > 0) return fields;
    return [error.message];
  }
  if (error instanceof NetworkError) {
    return ["The server cannot be reached. Check your connection and try again."];
  }
  return ["Signing in did not work. Try again."];
}

export function LoginPage() {
  const { user, loading, refresh } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const passwordRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = "Sign in · KD Studio";
  }, []);

  if (loading) {
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  }
  if (user && !busy) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setErrors([]);
    try {
      await ensureCsrf();
      await api.post("/auth/login/", { username, password });
      await refresh();
      void navigate(next, { replace: true });
    } catch (error) {
      setErrors(loginErrorMessage(error));
      setBusy(false);
      setPassword("");
      passwordRef.current?.focus();
    }
  };

  const errorId = "login-error";
  return (
    <main className="login" id="main">
      <h1>Sign in to KD Studio</h1>
      <form className="form card" onSubmit={(event) => void submit(event)}>
        {errors.length > 0 && (
          <div className="error" role="alert" id={errorId}>
            {errors.length === 1 ? (
              <p>{errors[0]}</p>
            ) : (
              <ul>
                {errors.map((message) => (
                  <li key={message}>{message}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div className="field">
          <label htmlFor="login-username">Username</label>
          <input
            id="login-username"
            name="username"
            type="text"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            autoFocus
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            aria-describedby={errors.length > 0 ? errorId : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            ref={passwordRef}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            aria-describedby={errors.length > 0 ? errorId : undefined}
          />
        </div>
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </div>
      </form>
    </main>
  );
}
