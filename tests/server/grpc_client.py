#!/usr/bin/python3
"""A KServe v2 gRPC client on Debian's python3-grpcio, for the server tests: compiles the service's messages
from the server's own .proto with protoc, calls every RPC of inference.GRPCInferenceService on 127.0.0.1:PORT,
and prints what it got as one JSON object (the C++ test compares it with the library's answers).

usage: grpc_client.py PROTO_DIR PORT [API_KEY]
"""
import importlib
import json
import os
import struct
import subprocess
import sys
import tempfile

import grpc


def main():
    proto_dir, port = sys.argv[1], sys.argv[2]
    key = sys.argv[3] if len(sys.argv) > 3 else None
    out_dir = tempfile.mkdtemp(prefix="grpc-client-", dir=os.environ.get("TMPDIR"))
    subprocess.run(["protoc", f"--proto_path={proto_dir}", f"--python_out={out_dir}", "grpc_predict_v2.proto"], check=True)
    sys.path.insert(0, out_dir)
    pb = importlib.import_module("grpc_predict_v2_pb2")

    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    metadata = [("authorization", f"Bearer {key}")] if key else None

    def call(method, request, response_type, with_key=True):
        stub = channel.unary_unary(f"/inference.GRPCInferenceService/{method}",
                                   request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=response_type.FromString)
        try:
            return stub(request, metadata=metadata if with_key else None, timeout=30), None
        except grpc.RpcError as e:
            return None, {"code": e.code().name, "details": e.details()}

    got = {}
    r, _ = call("ServerLive", pb.ServerLiveRequest(), pb.ServerLiveResponse, with_key=False)
    got["live"] = r.live
    r, _ = call("ServerReady", pb.ServerReadyRequest(), pb.ServerReadyResponse, with_key=False)
    got["ready"] = r.ready
    r, _ = call("ModelReady", pb.ModelReadyRequest(name="emb"), pb.ModelReadyResponse, with_key=False)
    got["model_ready"] = r.ready
    r, err = call("ServerMetadata", pb.ServerMetadataRequest(), pb.ServerMetadataResponse)
    got["server_metadata"] = err or {"name": r.name, "extensions": list(r.extensions)}
    r, _ = call("ServerMetadata", pb.ServerMetadataRequest(), pb.ServerMetadataResponse, with_key=False)
    got["server_metadata_without_key"] = "ok" if r else "refused"
    r, err = call("ModelMetadata", pb.ModelMetadataRequest(name="sent"), pb.ModelMetadataResponse)
    got["model_metadata"] = err or {"name": r.name, "versions": list(r.versions),
                                    "inputs": [t.name for t in r.inputs], "outputs": [t.name for t in r.outputs]}

    texts = ["I love this film", "awful, simply awful", "the weather is fine today"]

    def text_input(name, values):
        t = pb.ModelInferRequest.InferInputTensor(name=name, datatype="BYTES", shape=[len(values)])
        t.contents.bytes_contents.extend(v.encode() for v in values)
        return t

    req = pb.ModelInferRequest(model_name="emb", id="g1", inputs=[text_input("text", texts)])
    r, err = call("ModelInfer", req, pb.ModelInferResponse)
    got["embeddings"] = err or {"id": r.id, "name": r.outputs[0].name, "shape": list(r.outputs[0].shape),
                                "data": list(r.outputs[0].contents.fp32_contents)}

    # The same texts as raw_input_contents (4-byte little-endian lengths).
    raw = b"".join(struct.pack("<I", len(t.encode())) + t.encode() for t in texts)
    req = pb.ModelInferRequest(model_name="emb", inputs=[pb.ModelInferRequest.InferInputTensor(name="text", datatype="BYTES", shape=[3])],
                               raw_input_contents=[raw])
    r, err = call("ModelInfer", req, pb.ModelInferResponse)
    got["embeddings_raw"] = err or list(r.outputs[0].contents.fp32_contents)

    req = pb.ModelInferRequest(model_name="sent", inputs=[text_input("text", texts)])
    req.parameters["top_k"].int64_param = 2
    r, err = call("ModelInfer", req, pb.ModelInferResponse)
    got["classification"] = err or {o.name: {"shape": list(o.shape),
                                             "data": [b.decode() for b in o.contents.bytes_contents] if o.datatype == "BYTES"
                                             else list(o.contents.fp32_contents)} for o in r.outputs}

    bad = pb.ModelInferRequest(model_name="emb", inputs=[pb.ModelInferRequest.InferInputTensor(name="text", datatype="BYTES", shape=[2])])
    bad.inputs[0].contents.bytes_contents.extend([b"only one"])
    _, err = call("ModelInfer", bad, pb.ModelInferResponse)
    got["shape_mismatch"] = err
    _, err = call("ModelInfer", pb.ModelInferRequest(model_name="nope", inputs=[text_input("text", ["x"])]), pb.ModelInferResponse)
    got["unknown_model"] = err

    r, err = call("RepositoryModelUnload", pb.RepositoryModelUnloadRequest(model_name="emb"), pb.RepositoryModelUnloadResponse)
    got["unload"] = err or "ok"
    r, err = call("RepositoryIndex", pb.RepositoryIndexRequest(), pb.RepositoryIndexResponse)
    got["index_after_unload"] = err or {m.name: m.state for m in r.models}
    r, err = call("RepositoryModelLoad", pb.RepositoryModelLoadRequest(model_name="emb"), pb.RepositoryModelLoadResponse)
    got["load"] = err or "ok"
    r, err = call("RepositoryIndex", pb.RepositoryIndexRequest(ready=True), pb.RepositoryIndexResponse)
    got["ready_index_after_load"] = err or sorted(m.name for m in r.models)
    print(json.dumps(got))


if __name__ == "__main__":
    main()
