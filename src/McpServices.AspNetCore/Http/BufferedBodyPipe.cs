using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace McpServices.AspNetCore;

/// <summary>
/// The request body, already read into memory by <see cref="McpRequestGate"/>, offered as a pipe: the SDK reads it again
/// (<c>ReadFromJsonAsync</c>) without a stream-to-pipe adapter or a copy.
/// </summary>
internal sealed class BufferedBodyPipe(ReadOnlyMemory<byte> body) : IRequestBodyPipeFeature
{
    public PipeReader Reader { get; } = PipeReader.Create(new ReadOnlySequence<byte>(body));
}
