// The frame of every signed-in page: the header (app name, navigation, who is signed in, sign
// out, shortcut help) and the page itself. It also owns the global "g d" shortcut.
import { useEffect, useState } from "react";
import { Link, NavLink, Outlet, useNavigate } from "react-router-dom";

import { isTyping } from "../lib/shortcuts";
import { useSession } from "../session";
import { HELP_EVENT } from "./HelpOverlay";

/** How long after "g" a "d" still counts as the "g d" sequence. */
const SEQUENCE_MS = 1500;

const MODIFIER_KEYS = new Set(["Shift", "Control", "Alt", "Meta", "CapsLock"]);

export function Layout() {
  const { user, logout } = useSession();
  const navigate = useNavigate();
  const [signingOut, setSigningOut] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let gPressedAt = 0;
    const onKeyDown = (event: KeyboardEvent) => {
      if (MODIFIER_KEYS.has(event.key)) return;
      if (event.defaultPrevented || isTyping(event) || event.ctrlKey || event.metaKey || event.altKey) {
        gPressedAt = 0;
        return;
      }
      if (event.key === "g") {
        gPressedAt = Date.now();
        return;
      }
      if (event.key === "d" && gPressedAt && Date.now() - gPressedAt <= SEQUENCE_MS) {
        event.preventDefault();
        gPressedAt = 0;
        void navigate("/");
        return;
      }
      gPressedAt = 0;
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [navigate]);

  const signOut = async () => {
    setSigningOut(true);
    setError(null);
    try {
      await logout();
      void navigate("/login");
    } catch {
      setError("Signing out did not work: the server could not be reached. Try again.");
      setSigningOut(false);
    }
  };

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/" className="app-name">
          KD Studio
        </Link>
        <nav className="app-nav" aria-label="Main">
          <ul>
            <li>
              <NavLink to="/" end>
                Datasets
              </NavLink>
            </li>
          </ul>
        </nav>
        <div className="app-user">
          <button
            type="button"
            className="btn"
            aria-keyshortcuts="?"
            onClick={() => window.dispatchEvent(new Event(HELP_EVENT))}
          >
            <span className="kbd" aria-hidden="true">
              ?
            </span>{" "}
            Shortcuts
          </button>
          {user && (
            <span>
              Signed in as <strong>{user.username}</strong>
            </span>
          )}
          <button type="button" className="btn" onClick={() => void signOut()} disabled={signingOut}>
            Sign out
          </button>
        </div>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <main id="main" className="app-main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
