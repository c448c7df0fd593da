import { afterAll } from "vitest";
import { removeWorkspaces } from "./helpers/cli.js";

// Workspaces hold vaults and keys: remove them when the file's tests are done (CRYPTKEEP_KEEP_TEST_DIRS=1 keeps them).
afterAll(() => removeWorkspaces());
