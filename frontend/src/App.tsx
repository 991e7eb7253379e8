// Routes of the app. Every page but the login needs a session; the help overlay (?) is global.
import { lazy, Suspense } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router-dom";

import { HelpOverlay } from "./components/HelpOverlay";
import { Layout } from "./components/Layout";
import { DatasetsPage } from "./pages/DatasetsPage";
import { HistoryPage } from "./pages/HistoryPage";
import { JobsPage } from "./pages/JobsPage";
import { LoginPage } from "./pages/LoginPage";
import { ReviewPage } from "./pages/ReviewPage";
import { ReviewQueuePage } from "./pages/ReviewQueuePage";
import { TeamPage } from "./pages/TeamPage";
import { WorkspacePage } from "./pages/WorkspacePage";
import { useSession } from "./session";

// The inspection pages carry the charting library: loaded when first needed, so the annotation
// workspace does not wait for it. Opened directly, a page's code starts loading with the app,
// beside the session check, rather than after it.
const loaders = {
  overview: () => import("./pages/OverviewPage").then((m) => ({ default: m.OverviewPage })),
  compare: () => import("./pages/ComparePage").then((m) => ({ default: m.ComparePage })),
  items: () => import("./pages/ItemBrowserPage").then((m) => ({ default: m.ItemBrowserPage })),
  gaps: () => import("./pages/ItemGapsPage").then((m) => ({ default: m.ItemGapsPage })),
};
const early: Record<string, keyof typeof loaders> = {
  "^/datasets/\\d+/overview": "overview",
  "^/datasets/\\d+/compare": "compare",
  "^/datasets/\\d+/items": "items",
  "^/items/\\d+/gaps": "gaps",
};
for (const [pattern, page] of Object.entries(early)) {
  if (typeof window !== "undefined" && new RegExp(pattern).test(window.location.pathname)) void loaders[page]();
}
const OverviewPage = lazy(loaders.overview);
const ComparePage = lazy(loaders.compare);
const ItemBrowserPage = lazy(loaders.items);
const ItemGapsPage = lazy(loaders.gaps);

function Lazy({ children }: { children: React.ReactNode }) {
  return (
    <Suspense
      fallback={
        <p className="loading" role="status">
          Loading…
        </p>
      }
    >
      {children}
    </Suspense>
  );
}

function RequireSession({ children }: { children: React.ReactNode }) {
  const { user, loading } = useSession();
  const location = useLocation();
  if (loading) return <p className="loading" role="status">Loading…</p>;
  if (!user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
  return <>{children}</>;
}

export function App() {
  return (
    <>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          element={
            <RequireSession>
              <Layout />
            </RequireSession>
          }
        >
          <Route path="/" element={<DatasetsPage />} />
          <Route path="/datasets" element={<Navigate to="/" replace />} />
          <Route path="/datasets/:datasetId/jobs" element={<JobsPage />} />
          <Route path="/datasets/:datasetId/reviews" element={<ReviewQueuePage />} />
          <Route path="/datasets/:datasetId/team" element={<TeamPage />} />
          <Route path="/datasets/:datasetId/overview" element={<Lazy><OverviewPage /></Lazy>} />
          <Route path="/datasets/:datasetId/items" element={<Lazy><ItemBrowserPage /></Lazy>} />
          <Route path="/datasets/:datasetId/compare" element={<Lazy><ComparePage /></Lazy>} />
          <Route path="/items/:itemId/gaps" element={<Lazy><ItemGapsPage /></Lazy>} />
          <Route path="/reviews/:reviewId" element={<ReviewPage />} />
          <Route path="/annotate/:datasetId" element={<WorkspacePage />} />
          <Route path="/items/:itemId/history" element={<HistoryPage />} />
          <Route path="*" element={<p role="alert">No such page. <a href="/">Back to the datasets</a></p>} />
        </Route>
      </Routes>
      <HelpOverlay />
    </>
  );
}
