import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route } from "react-router-dom";

import { errorBody, mockApi, renderAt, USER, type RouteTable } from "../testing/mockApi";
import { LoginPage } from "./LoginPage";

const NOT_SIGNED_IN = { status: 401, body: errorBody("not_authenticated", "Sign in first.") };

function renderLogin(path: string) {
  return renderAt(
    path,
    <>
      <Route path="/login" element={<LoginPage />} />
      <Route path="*" element={<p>Signed-in page</p>} />
    </>,
  );
}

async function signIn(username: string, password: string) {
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText("Username"), username);
  await user.type(screen.getByLabelText("Password"), password);
  await user.click(screen.getByRole("button", { name: "Sign in" }));
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("LoginPage", () => {
  it("signs in, refreshes the session and goes to ?next=", async () => {
    const api = mockApi({
      "GET /auth/whoami/": [NOT_SIGNED_IN, { body: USER }],
      "POST /auth/login/": { body: { id: 1, username: "ada", is_staff: false } },
    } satisfies RouteTable);
    renderLogin("/login?next=%2Fdatasets%2F3%2Fjobs");

    await signIn("ada", "correct horse");

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/datasets/3/jobs"));
    expect(screen.getByTestId("location").textContent).toBe("/datasets/3/jobs");
    expect(screen.getByText("Signed-in page")).toBeInTheDocument();
    expect(JSON.stringify(api.callsTo("POST /auth/login/")[0]?.body)).toBe(
      '{"username":"ada","password":"correct horse"}',
    );
    expect(api.callsTo("GET /auth/whoami/")).toHaveLength(2);
  });

  it("goes to the datasets when ?next= is missing or points elsewhere", async () => {
    mockApi({
      "GET /auth/whoami/": [NOT_SIGNED_IN, { body: USER }],
      "POST /auth/login/": { body: { id: 1, username: "ada", is_staff: false } },
    });
    renderLogin("/login?next=%2F%2Fevil.example%2F");

    await signIn("ada", "pw");

    await waitFor(() => expect(screen.getByTestId("location").textContent).toBe("/"));
  });

  it("says so in words when the credentials are wrong (401)", async () => {
    mockApi({
      "GET /auth/whoami/": NOT_SIGNED_IN,
      "POST /auth/login/": { status: 401, body: errorBody("invalid_credentials", "Nope.") },
    });
    renderLogin("/login");

    await signIn("ada", "wrong");

    expect(await screen.findByRole("alert")).toHaveTextContent(/^The username or password is not correct\.$/);
    expect(screen.getByTestId("location").textContent).toBe("/login");
    expect(screen.getByLabelText("Password")).toHaveValue("");
    expect(screen.getByLabelText("Password")).toHaveFocus();
  });

  it("treats the server's 400 invalid_credentials the same way", async () => {
    mockApi({
      "GET /auth/whoami/": NOT_SIGNED_IN,
      "POST /auth/login/": {
        status: 400,
        body: errorBody("invalid_credentials", "The username or password is not correct."),
      },
    });
    renderLogin("/login");

    await signIn("ada", "wrong");

    expect((await screen.findByRole("alert")).textContent).toBe("The username or password is not correct.");
  });

  it("asks to wait after too many attempts (429)", async () => {
    mockApi({
      "GET /auth/whoami/": NOT_SIGNED_IN,
      "POST /auth/login/": { status: 429, body: errorBody("throttled", "Request was throttled.") },
    });
    renderLogin("/login");

    await signIn("ada", "again");

    expect((await screen.findByRole("alert")).textContent).toBe("Too many attempts; wait a minute and try again.");
  });

  it("redirects a signed-in user away from the form", async () => {
    const api = mockApi({ "GET /auth/whoami/": { body: USER } });
    renderLogin("/login?next=%2Fitems%2F9%2Fhistory");

    await waitFor(() => expect(screen.getByTestId("location").textContent).toBe("/items/9/history"));
    expect(screen.queryByLabelText("Username")).not.toBeInTheDocument();
    expect(api.callsTo("POST /auth/login/")).toHaveLength(0);
  });
});
