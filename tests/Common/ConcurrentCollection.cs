using System.Collections;

namespace McpServices.Tests.Common;

/// <summary>
/// A list that several threads may add to, for OpenTelemetry's in-memory exporters: a tracer provider sees the spans of every
/// server in the process (activity sources are process-wide), and tests run in parallel, so exports arrive from many threads
/// at once — a plain <see cref="List{T}"/> loses some of them.
/// </summary>
public sealed class ConcurrentCollection<T> : ICollection<T>
{
    private readonly List<T> _items = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public void Add(T item)
    {
        lock (_lock)
        {
            _items.Add(item);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _items.Clear();
        }
    }

    public bool Contains(T item)
    {
        lock (_lock)
        {
            return _items.Contains(item);
        }
    }

    public void CopyTo(T[] array, int arrayIndex)
    {
        lock (_lock)
        {
            _items.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(T item)
    {
        lock (_lock)
        {
            return _items.Remove(item);
        }
    }

    /// <summary>Enumerates a snapshot, so that exports arriving meanwhile do not break the enumeration.</summary>
    public IEnumerator<T> GetEnumerator()
    {
        lock (_lock)
        {
            return _items.ToList().GetEnumerator();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
