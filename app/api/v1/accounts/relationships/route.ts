import { relationships } from "@/lib/api/relationships";

export const dynamic = "force-dynamic";
export const GET = relationships;
