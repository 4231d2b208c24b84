/**
 * Safetensors headers shaped like those of real public models: the tensor names and shapes
 * their files carry (the blocks that hold cross-attention, the text encoders, the extra SDXL
 * conditioning), trimmed to a few dozen tensors each. Used to test the compatibility rules
 * against every layout a task may name.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type Header = Record<string, number[]>;

interface Unet {
  context: number;
  channels: number;
  /** The original (SGM/LDM) input blocks that hold a transformer. */
  attentionBlocks: number[];
  /** SDXL's extra conditioning width. */
  adm?: number;
  linearProj: boolean;
}

const UNETS = {
  sd1: { context: 768, channels: 320, attentionBlocks: [1, 2, 4, 5, 7, 8], linearProj: false },
  sd2: { context: 1024, channels: 320, attentionBlocks: [1, 2, 4, 5, 7, 8], linearProj: true },
  sdxl: { context: 2048, channels: 320, attentionBlocks: [4, 5, 7, 8], adm: 2816, linearProj: true },
  refiner: { context: 1280, channels: 384, attentionBlocks: [4, 5, 7, 8], adm: 2560, linearProj: true },
} as const satisfies Record<string, Unet>;

export type Family = keyof typeof UNETS;

/** The UNet of an original-layout checkpoint or ControlNet, under `prefix`. */
function unet(
  prefix: string,
  u: Unet,
  width = (block: number) => u.channels * (block < 4 ? 1 : block < 7 ? 2 : 4),
): Header {
  const h: Header = {
    [`${prefix}input_blocks.0.0.weight`]: [u.channels, 4, 3, 3],
    [`${prefix}input_blocks.0.0.bias`]: [u.channels],
  };
  for (const block of u.attentionBlocks) {
    const w = width(block);
    const t = `${prefix}input_blocks.${block}.1.`;
    h[`${t}proj_in.weight`] = u.linearProj ? [w, w] : [w, w, 1, 1];
    h[`${t}transformer_blocks.0.attn1.to_q.weight`] = [w, w];
    h[`${t}transformer_blocks.0.attn2.to_q.weight`] = [w, w];
    h[`${t}transformer_blocks.0.attn2.to_k.weight`] = [w, u.context];
    h[`${t}transformer_blocks.0.attn2.to_v.weight`] = [w, u.context];
    h[`${prefix}input_blocks.${block}.0.in_layers.0.weight`] = [w];
  }
  h[`${prefix}time_embed.0.weight`] = [u.channels * 4, u.channels];
  if (u.adm) h[`${prefix}label_emb.0.0.weight`] = [u.channels * 4, u.adm];
  return h;
}

function clipL(prefix: string): Header {
  return {
    [`${prefix}text_model.embeddings.token_embedding.weight`]: [49408, 768],
    [`${prefix}text_model.encoder.layers.0.self_attn.q_proj.weight`]: [768, 768],
    [`${prefix}text_model.final_layer_norm.weight`]: [768],
  };
}

function openClip(prefix: string, width: number): Header {
  return {
    [`${prefix}token_embedding.weight`]: [49408, width],
    [`${prefix}transformer.resblocks.0.attn.in_proj_weight`]: [3 * width, width],
    [`${prefix}ln_final.weight`]: [width],
  };
}

function vaeTensors(prefix: string, latent = 4): Header {
  return {
    [`${prefix}decoder.conv_in.weight`]: [512, latent, 3, 3],
    [`${prefix}encoder.conv_out.weight`]: [2 * latent, 512, 3, 3],
    [`${prefix}quant_conv.weight`]: [2 * latent, 2 * latent, 1, 1],
  };
}

/** SD 1.5 (`stable-diffusion-v1-5/stable-diffusion-v1-5`, `v1-5-pruned-emaonly.safetensors`), SD 2.1 (512 and 768-v), SDXL base 1.0 and refiner 1.0. */
export const checkpoints: Record<string, Header> = {
  sd15: {
    ...unet("model.diffusion_model.", UNETS.sd1),
    ...clipL("cond_stage_model.transformer."),
    ...vaeTensors("first_stage_model."),
  },
  "sd21-512": {
    ...unet("model.diffusion_model.", UNETS.sd2),
    ...openClip("cond_stage_model.model.", 1024),
    ...vaeTensors("first_stage_model."),
  },
  "sd21-768v": {
    ...unet("model.diffusion_model.", UNETS.sd2),
    ...openClip("cond_stage_model.model.", 1024),
    ...vaeTensors("first_stage_model."),
  },
  "sdxl-base": {
    ...unet("model.diffusion_model.", UNETS.sdxl),
    ...clipL("conditioner.embedders.0.transformer."),
    ...openClip("conditioner.embedders.1.model.", 1280),
    ...vaeTensors("first_stage_model."),
  },
  "sdxl-refiner": {
    ...unet("model.diffusion_model.", UNETS.refiner),
    ...openClip("conditioner.embedders.0.model.", 1280),
    ...vaeTensors("first_stage_model."),
  },
};

/** Diffusers names of the UNet's cross-attention, per family (SDXL: no transformer in the first down block). */
function diffusersAttn(family: Family): string[] {
  const blocks = family === "sd1" || family === "sd2" ? [0, 1, 2] : [1, 2];
  return blocks.flatMap((b) => [0, 1].map((a) => `down_blocks.${b}.attentions.${a}.transformer_blocks.0.attn2`));
}

/** SGM names SDXL LoRAs use in kohya's trainer (`lora_unet_input_blocks_4_1_…`). */
function sgmAttn(family: Family): string[] {
  return UNETS[family].attentionBlocks.map((b) => `input_blocks_${b}_1_transformer_blocks_0_attn2`);
}

function kohyaPair(name: string, rank: number, input: number, output: number): Header {
  return {
    [`${name}.lora_down.weight`]: [rank, input],
    [`${name}.lora_up.weight`]: [output, rank],
    [`${name}.alpha`]: [],
  };
}

/** A kohya sd-scripts LoRA: SD 1.x/2.x use diffusers module names, SDXL the SGM ones; optionally with text-encoder layers. */
export function kohyaLora(family: Family, options: { textEncoder: boolean; unet?: boolean; rank?: number }): Header {
  const rank = options.rank ?? 16;
  const u = UNETS[family];
  const h: Header = {};
  if (options.unet ?? true) {
    const names =
      family === "sdxl" || family === "refiner"
        ? sgmAttn(family)
        : diffusersAttn(family).map((n) => n.replace(/\./g, "_"));
    for (const n of names) {
      Object.assign(h, kohyaPair(`lora_unet_${n}_to_k`, rank, u.context, 640));
      Object.assign(h, kohyaPair(`lora_unet_${n}_to_q`, rank, 640, 640));
    }
  }
  if (options.textEncoder) {
    if (family === "sdxl") {
      Object.assign(h, kohyaPair("lora_te1_text_model_encoder_layers_0_self_attn_q_proj", rank, 768, 768));
      Object.assign(h, kohyaPair("lora_te2_text_model_encoder_layers_0_self_attn_q_proj", rank, 1280, 1280));
    } else {
      const width = family === "sd2" ? 1024 : 768;
      Object.assign(h, kohyaPair("lora_te_text_model_encoder_layers_0_self_attn_q_proj", rank, width, width));
      Object.assign(h, kohyaPair("lora_te_text_model_encoder_layers_0_mlp_fc1", rank, width, width * 4));
    }
  }
  return h;
}

/** A diffusers/PEFT LoRA (`unet.…attn2.to_k.lora_A.weight`), as `save_lora_weights` writes it. */
export function diffusersLora(family: Family, options: { textEncoder: boolean }): Header {
  const h: Header = {};
  for (const n of diffusersAttn(family)) {
    h[`unet.${n}.to_k.lora_A.weight`] = [8, UNETS[family].context];
    h[`unet.${n}.to_k.lora_B.weight`] = [640, 8];
  }
  if (options.textEncoder) {
    h["text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight"] = [8, family === "sd2" ? 1024 : 768];
    if (family === "sdxl") h["text_encoder_2.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight"] = [8, 1280];
  }
  return h;
}

/** A LyCORIS LoCon (lora_down/lora_up on convolutions too) or LoHa (hada_w1_a/b, hada_w2_a/b). */
export function lycoris(family: Family, algo: "locon" | "loha"): Header {
  const u = UNETS[family];
  const names = family === "sdxl" ? sgmAttn(family) : diffusersAttn(family).map((n) => n.replace(/\./g, "_"));
  const h: Header = {};
  for (const n of names) {
    const key = `lora_unet_${n}_to_k`;
    if (algo === "locon") Object.assign(h, kohyaPair(key, 8, u.context, 640));
    else {
      h[`${key}.hada_w1_a`] = [640, 8];
      h[`${key}.hada_w1_b`] = [8, u.context];
      h[`${key}.hada_w2_a`] = [640, 8];
      h[`${key}.hada_w2_b`] = [8, u.context];
      h[`${key}.alpha`] = [];
    }
  }
  if (algo === "locon") {
    h["lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight"] = [8, 320, 3, 3];
    h["lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight"] = [320, 8, 1, 1];
  }
  return h;
}

/** ControlNets in the original layout (lllyasviel's `control_v11p_sd15_canny`, SD 2.1 ports, SDXL ones from kohya/SAI) and in the diffusers layout. */
export function controlnet(family: Family, layout: "original" | "diffusers"): Header {
  const u: Unet = UNETS[family];
  if (layout === "original") {
    return {
      ...unet("control_model.", u),
      "control_model.input_hint_block.0.weight": [16, 3, 3, 3],
      "control_model.zero_convs.0.0.weight": [u.channels, u.channels, 1, 1],
    };
  }
  const h: Header = {
    "controlnet_cond_embedding.conv_in.weight": [16, 3, 3, 3],
    "conv_in.weight": [u.channels, 4, 3, 3],
    "controlnet_down_blocks.0.weight": [u.channels, u.channels, 1, 1],
  };
  for (const n of diffusersAttn(family)) h[`${n}.to_k.weight`] = [640, u.context];
  if (u.adm) h["add_embedding.linear_1.weight"] = [1280, u.adm];
  return h;
}

/** A standalone VAE (`sd-vae-ft-mse`, `sdxl-vae`: 4 latent channels; SD3/Flux's: 16). */
export function vae(latent = 4): Header {
  return { ...vaeTensors("", latent), "decoder.mid.attn_1.q.weight": [512, 512, 1, 1] };
}

/** Textual inversions: A1111's SD 1.x `emb_params`, an older `string_to_param`, SDXL's `clip_l` + `clip_g`, an SD 2.x one. */
export const embeddings: Record<string, Header> = {
  sd1: { emb_params: [4, 768] },
  "sd1-legacy": { "string_to_param.*": [2, 768] },
  sd2: { emb_params: [8, 1024] },
  sdxl: { clip_l: [6, 768], clip_g: [6, 1280] },
};

/** Writes a header-only safetensors file (every tensor empty of data) and returns its path. */
export function writeHeader(path: string, header: Header): string {
  const json = Buffer.from(
    JSON.stringify({
      __metadata__: { format: "pt" },
      ...Object.fromEntries(
        Object.entries(header).map(([k, shape]) => [k, { dtype: "F16", shape, data_offsets: [0, 0] }]),
      ),
    }),
  );
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.concat([length, json]));
  return path;
}
