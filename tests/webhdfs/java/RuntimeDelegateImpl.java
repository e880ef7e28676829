/*
 * Test-only stand-in for Jersey's RuntimeDelegateImpl.
 *
 * hadoop-client-runtime (the shaded Hadoop client that pyspark ships) relocates JAX-RS to
 * org.apache.hadoop.shaded.javax.ws.rs, and its RuntimeDelegate falls back to this class
 * name when nothing else names an implementation, but the jar does not contain Jersey's
 * class. WebHdfsFileSystem parses the Content-Type of every JSON answer with
 * MediaType.valueOf, which asks the RuntimeDelegate for a HeaderDelegate<MediaType>: without
 * one every JSON answer fails. This class supplies that delegate and nothing else.
 *
 * tests/webhdfs/jvm.py compiles it against pyspark's jars and puts it on the driver's
 * class path; it is never part of the product.
 */
package org.apache.hadoop.shaded.org.glassfish.jersey.internal;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.apache.hadoop.shaded.javax.ws.rs.core.Application;
import org.apache.hadoop.shaded.javax.ws.rs.core.Link;
import org.apache.hadoop.shaded.javax.ws.rs.core.MediaType;
import org.apache.hadoop.shaded.javax.ws.rs.core.Response;
import org.apache.hadoop.shaded.javax.ws.rs.core.UriBuilder;
import org.apache.hadoop.shaded.javax.ws.rs.core.Variant;
import org.apache.hadoop.shaded.javax.ws.rs.ext.RuntimeDelegate;

public final class RuntimeDelegateImpl extends RuntimeDelegate {

  /** MediaType as HTTP writes it: type "/" subtype, then "; name=value" parameters. */
  static final class MediaTypeDelegate implements HeaderDelegate<MediaType> {
    @Override
    public MediaType fromString(String header) {
      if (header == null) {
        throw new IllegalArgumentException("Media type is null");
      }
      String[] parts = header.split(";");
      String full = parts[0].trim();
      if (full.equals("*")) {
        full = MediaType.WILDCARD;
      }
      int slash = full.indexOf('/');
      if (slash <= 0 || slash == full.length() - 1 || full.indexOf('/', slash + 1) >= 0) {
        throw new IllegalArgumentException("Invalid media type: " + header);
      }
      Map<String, String> parameters = new LinkedHashMap<>();
      for (int i = 1; i < parts.length; i++) {
        String parameter = parts[i].trim();
        if (parameter.isEmpty()) {
          continue;
        }
        int equals = parameter.indexOf('=');
        if (equals <= 0) {
          throw new IllegalArgumentException("Invalid media type parameter: " + header);
        }
        String value = parameter.substring(equals + 1).trim();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
          value = value.substring(1, value.length() - 1);
        }
        parameters.put(parameter.substring(0, equals).trim().toLowerCase(Locale.ROOT), value);
      }
      return new MediaType(full.substring(0, slash).trim(), full.substring(slash + 1).trim(),
          parameters);
    }

    @Override
    public String toString(MediaType type) {
      StringBuilder text = new StringBuilder(type.getType()).append('/')
          .append(type.getSubtype());
      for (Map.Entry<String, String> parameter : type.getParameters().entrySet()) {
        text.append(';').append(parameter.getKey()).append('=').append(parameter.getValue());
      }
      return text.toString();
    }
  }

  private static final MediaTypeDelegate MEDIA_TYPE = new MediaTypeDelegate();

  @Override
  @SuppressWarnings("unchecked")
  public <T> HeaderDelegate<T> createHeaderDelegate(Class<T> type) {
    if (type == MediaType.class) {
      return (HeaderDelegate<T>) MEDIA_TYPE;
    }
    throw unsupported("a header delegate for " + type.getName());
  }

  @Override
  public UriBuilder createUriBuilder() {
    throw unsupported("UriBuilder");
  }

  @Override
  public Response.ResponseBuilder createResponseBuilder() {
    throw unsupported("ResponseBuilder");
  }

  @Override
  public Variant.VariantListBuilder createVariantListBuilder() {
    throw unsupported("VariantListBuilder");
  }

  @Override
  public <T> T createEndpoint(Application application, Class<T> endpointType) {
    throw unsupported("endpoints");
  }

  @Override
  public Link.Builder createLinkBuilder() {
    throw unsupported("Link.Builder");
  }

  private static UnsupportedOperationException unsupported(String what) {
    return new UnsupportedOperationException(
        "the test RuntimeDelegate shim supplies only MediaType, not " + what);
  }
}
