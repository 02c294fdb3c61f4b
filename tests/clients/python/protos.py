"""Loads the repository's .proto files at run time: Debian's protoc compiles them to a descriptor set, and
protobuf's runtime builds the message classes from it. gRPC calls go through grpcio's generic multi-callables,
with the method's request and response types taken from the service descriptors, so no generated code is kept
anywhere."""

import os
import shutil
import subprocess
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

DEFAULT_PROTO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "protos"))

PROTO_FILES = [
    "mustafar/vqa/v1/vqa.proto",
    "mustafar/clip/v1/clip_encoder.proto",
    "mustafar/diffusion/v1/diffusion_encoder.proto",
    "mustafar/generation/v1/generator.proto",
]

# Feature tensors of real models are several MB; gRPC's default 4 MB receive limit is too small for some.
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
]


class Protos:
    """The message classes and service descriptors of the mesh's protos."""

    def __init__(self, proto_root=DEFAULT_PROTO_ROOT, protoc=None):
        protoc = protoc or shutil.which("protoc")
        if not protoc:
            raise RuntimeError("protoc is not installed (Debian: apt-get install protobuf-compiler; deploy/scripts/bootstrap.sh does it)")
        with tempfile.TemporaryDirectory(prefix="mustafar-protos-") as folder:
            out = os.path.join(folder, "mesh.pb")
            subprocess.run([protoc, "-I", proto_root, "--include_imports", "--descriptor_set_out=" + out, *PROTO_FILES],
                           check=True, capture_output=True)
            with open(out, "rb") as f:
                files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.Add(file)
        self._factory = None if hasattr(message_factory, "GetMessageClass") else message_factory.MessageFactory(self.pool)

    def message(self, full_name):
        """The class of a message type, for example "mustafar.vqa.v1.AskRequest"."""
        descriptor = self.pool.FindMessageTypeByName(full_name)
        if self._factory is None:
            return message_factory.GetMessageClass(descriptor)
        return self._factory.GetPrototype(descriptor)

    def stub(self, channel, service):
        return ServiceStub(self, channel, service)


class ServiceStub:
    """Calls the methods of one service by name: unary methods return the response, server-streaming ones an
    iterator of responses (its call object gives the headers)."""

    def __init__(self, protos, channel, service):
        self._callables = {}
        for method in protos.pool.FindServiceByName(service).methods:
            request, response = protos.message(method.input_type.full_name), protos.message(method.output_type.full_name)
            path = f"/{service}/{method.name}"
            make = channel.unary_stream if method.server_streaming else channel.unary_unary
            self._callables[method.name] = (request, make(path, request_serializer=request.SerializeToString,
                                                          response_deserializer=response.FromString))

    def request(self, method, **fields):
        """A request message of <method>'s input type."""
        return self._callables[method][0](**fields)

    def __getattr__(self, method):
        try:
            return self._callables[method][1]
        except KeyError:
            raise AttributeError(method) from None


def to_dict(message):
    """A message as JSON-ready data with the .proto field names, enum names and every field (int64 as strings)."""
    try:
        return json_format.MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    except TypeError:  # protobuf before 5.26 names the option differently
        return json_format.MessageToDict(message, preserving_proto_field_name=True, including_default_value_fields=True)
