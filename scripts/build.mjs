import { ensureBuild, ensureDependencies, ensurePrismaClient } from "./prepare.mjs";

ensureDependencies();
ensurePrismaClient();
await ensureBuild();
