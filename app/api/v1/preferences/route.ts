import { emptyAnswer, PREFERENCES } from "@/lib/api/stubs";

export const dynamic = "force-dynamic";
export const GET = emptyAnswer(PREFERENCES, "read:accounts");
