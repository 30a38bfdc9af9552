import { requireToken } from "@/lib/api/auth";
import { api, json } from "@/lib/api/http";
import { emptyAnswer } from "@/lib/api/stubs";

export const dynamic = "force-dynamic";
// No markers are kept yet (issue 13, item 6): reading gives none, saving is accepted.
export const GET = emptyAnswer({}, "read:statuses");
export const POST = api(async (request) => {
  await requireToken(request, "write:statuses");
  return json({});
});
