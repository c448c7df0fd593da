#!/usr/bin/env node
import { main } from "../dist/core/cli/main.js";

process.exitCode = await main(process.argv);
