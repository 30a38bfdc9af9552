import { notFound } from "@/lib/api/stubs";

export const dynamic = "force-dynamic";
export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };
