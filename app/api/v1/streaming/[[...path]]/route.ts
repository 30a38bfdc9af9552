import { streamingGet } from "@/lib/api/streaming";

export const dynamic = "force-dynamic";
export const GET = streamingGet;
