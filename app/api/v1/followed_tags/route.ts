import { emptyAnswer } from "@/lib/api/stubs";

export const dynamic = "force-dynamic";
export const GET = emptyAnswer([], "read:follows");
