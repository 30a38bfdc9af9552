import { AttachmentError } from "../domain/attachments";
import { describeUpload, getUpload, storeUpload, type Upload } from "../domain/uploads";
import { env } from "../env";
import { requireToken } from "./auth";
import { api, ApiError, json } from "./http";
import { requireApiId } from "./ids";
import { readParams, str } from "./params";

// Media uploads (docs.joinmastodon.org/methods/media): an image and its alt
// text, sent later with POST /api/v1/statuses `media_ids[]`. The limits are
// the web UI's (lib/domain/attachments.ts). Processing is immediate, so v2
// answers 200 with the URL, never 202. As in Mastodon, GET and PUT find only
// uploads no status has taken yet.

type Context = { params: Promise<Record<string, string | string[]>> };

export function uploadEntity(u: Upload) {
  const url = `${env().origin}/media/${u.file}`;
  return {
    id: u.id.toString(),
    type: "image" as const,
    url,
    preview_url: url,
    remote_url: null,
    preview_remote_url: null,
    text_url: null,
    meta: null,
    description: u.description,
    blurhash: null,
  };
}

function unprocessable(err: unknown): never {
  if (err instanceof AttachmentError) throw new ApiError(422, err.message);
  throw err;
}

/** POST /api/v2/media and /api/v1/media: multipart `file` and `description`. */
export const uploadMedia = api(async (request) => {
  await requireToken(request, "write:media");
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "multipart/form-data") throw new ApiError(422, 'Send the image as multipart form data, in the field "file".');
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new ApiError(400, "The form data in the request body cannot be read.");
  }
  const file = form.get("file");
  if (!file || typeof file === "string") throw new ApiError(422, 'Attach the image in the field "file".');
  const description = form.get("description");
  try {
    const upload = await storeUpload(new Uint8Array(await file.arrayBuffer()), typeof description === "string" ? description : undefined);
    return json(uploadEntity(upload));
  } catch (err) {
    unprocessable(err);
  }
});

async function waitingOr404(context: Context): Promise<Upload> {
  const upload = await getUpload(requireApiId((await context.params).id));
  if (!upload || upload.messageId) throw new ApiError(404, "Record not found");
  return upload;
}

/** GET /api/v1/media/:id */
export const getMedia = api(async (request, context) => {
  await requireToken(request, "write:media");
  return json(uploadEntity(await waitingOr404(context)));
});

/** PUT /api/v1/media/:id: a new alt text, while no status has taken the upload. */
export const updateMedia = api(async (request, context) => {
  await requireToken(request, "write:media");
  const upload = await waitingOr404(context);
  const params = await readParams(request);
  const description = str(params, "description");
  try {
    if (description !== undefined || params.description === "") {
      if (!(await describeUpload(upload.id, description))) throw new ApiError(404, "Record not found");
    }
  } catch (err) {
    unprocessable(err);
  }
  return json(uploadEntity((await getUpload(upload.id))!));
});
