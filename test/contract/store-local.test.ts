import { LocalStore } from "../../plugins/store/local/local-store.js";
import { scratchDir } from "../helpers/cli.js";
import { storeContract } from "./store-contract.js";

storeContract("local folder", {
  open: async () => new LocalStore(await scratchDir("cryptkeep-store-")),
});
