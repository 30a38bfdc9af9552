import { api } from "@/lib/api/http";
import { createPushSubscription, deletePushSubscription, showPushSubscription, updatePushSubscriptionHandler } from "@/lib/api/push";

export const dynamic = "force-dynamic";
export const GET = api(showPushSubscription);
export const POST = api(createPushSubscription);
export const PUT = api(updatePushSubscriptionHandler);
export const DELETE = api(deletePushSubscription);
